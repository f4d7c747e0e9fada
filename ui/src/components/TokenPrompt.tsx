// Shown when the server answered 401: asks for a token and keeps it in localStorage.
import { useState, useSyncExternalStore } from 'react'
import { onAuthChange, setToken, tokenRequired } from '../api'
import { Modal } from './Modal'

export function TokenPrompt() {
  const needed = useSyncExternalStore(onAuthChange, tokenRequired)
  const [value, setValue] = useState('')
  if (!needed) return null
  return (
    <Modal title="This server needs a token" onClose={() => undefined}>
      <form
        className="token-form"
        onSubmit={(event) => {
          event.preventDefault()
          if (value.trim()) setToken(value.trim())
        }}
      >
        <p>Ask whoever runs Tributary for a token: the operator token can start runs, the read token only looks. It is kept in this browser.</p>
        <input type="password" autoFocus placeholder="Paste the token" value={value} onChange={(event) => setValue(event.target.value)} aria-label="Token" />
        <div className="modal-footer">
          <button type="submit" className="btn btn-primary" disabled={!value.trim()}>Continue</button>
        </div>
      </form>
    </Modal>
  )
}
