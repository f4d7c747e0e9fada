// Pause, Resume and Cancel for a backfill: only the buttons that apply, a confirmation before
// canceling, and the server's answer when it refuses (e.g. 409 TRB6003).
import { useState, type ReactNode } from 'react'
import { api, type ApiBackfillStarted, type ApiRun } from '../api'
import { useHealth } from '../App'
import { actionsFor, type BackfillGroup } from '../backfills'
import { ErrorBox, Spinner } from './ui'

type Action = 'pause' | 'resume' | 'cancel'
type State =
  | { readonly step: 'idle' }
  | { readonly step: 'confirm-cancel' }
  | { readonly step: 'sending'; readonly action: Action }
  | { readonly step: 'nothing-left' }
  | { readonly step: 'error'; readonly action: Action; readonly error: Error }

const FAILED_TO: Record<Action, string> = { pause: 'Could not pause the backfill', resume: 'Could not resume the backfill', cancel: 'Could not cancel the backfill' }

/** The buttons, and what to show under them (a confirmation, an error); `changed` refetches. */
export function useBackfillActions(group: BackfillGroup, changed: () => void, size: 'small' | 'normal' = 'normal'): { buttons: ReactNode; notice: ReactNode } {
  const health = useHealth()
  const [state, setState] = useState<State>({ step: 'idle' })
  const readOnly = health?.role === 'read'
  const runId = group.latest.run.id
  const can = actionsFor(group)

  const send = async (action: Action) => {
    setState({ step: 'sending', action })
    try {
      const path = `/api/backfills/${encodeURIComponent(runId)}/${action}`
      if (action === 'resume') {
        const started = await api.post<ApiBackfillStarted>(path)
        setState(started.runId ? { step: 'idle' } : { step: 'nothing-left' })
      } else {
        await api.post<ApiRun>(path)
        setState({ step: 'idle' })
      }
    } catch (error) {
      setState({ step: 'error', action, error: error as Error })
    }
    changed()
  }

  const small = size === 'small' ? ' btn-small' : ''
  const sending = state.step === 'sending' ? state.action : null
  const disabled = readOnly || sending !== null
  const title = (text: string) => (readOnly ? 'Your token is read-only' : text)
  const stop = (handler: () => void) => (event: { stopPropagation: () => void }) => {
    event.stopPropagation()
    handler()
  }

  const buttons = (
    <div className="backfill-actions">
      {can.pause && (
        <button className={`btn${small}`} disabled={disabled} onClick={stop(() => send('pause'))} title={title('Let the running steps finish, start nothing more; resume later')}>
          {sending === 'pause' ? <Spinner label="Pausing…" /> : 'Pause'}
        </button>
      )}
      {can.resume && (
        <button className={`btn btn-primary${small}`} disabled={disabled} onClick={stop(() => send('resume'))} title={title('Run what this backfill has not done yet')}>
          {sending === 'resume' ? <Spinner label="Resuming…" /> : 'Resume'}
        </button>
      )}
      {can.cancel && (
        <button className={`btn btn-danger${small}`} disabled={disabled} onClick={stop(() => setState({ step: 'confirm-cancel' }))} title={title('Stop the running steps now; resume later')}>
          {sending === 'cancel' ? <Spinner label="Canceling…" /> : 'Cancel'}
        </button>
      )}
    </div>
  )

  let notice: ReactNode = null
  if (state.step === 'confirm-cancel') {
    notice = (
      <div className="confirm-strip" onClick={(event) => event.stopPropagation()}>
        Cancel this backfill? Running steps stop now and their staged data is dropped; what is published stays. You can resume it later.
        <button className="btn btn-small" onClick={() => setState({ step: 'idle' })}>Keep running</button>
        <button className="btn btn-small btn-danger" onClick={() => send('cancel')}>Cancel backfill</button>
      </div>
    )
  } else if (state.step === 'nothing-left') {
    notice = (
      <div className="info-strip" role="status" onClick={(event) => event.stopPropagation()}>
        Nothing left to do: every step of this backfill has been published since.
        <button className="btn btn-small btn-ghost" onClick={() => setState({ step: 'idle' })}>Dismiss</button>
      </div>
    )
  } else if (state.step === 'error') {
    notice = (
      <div onClick={(event) => event.stopPropagation()}>
        <ErrorBox error={state.error} title={FAILED_TO[state.action]} onDismiss={() => setState({ step: 'idle' })} />
      </div>
    )
  }
  return { buttons: can.pause || can.resume || can.cancel ? buttons : null, notice }
}
