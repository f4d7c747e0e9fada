import { useEffect, type ReactNode } from 'react'

/** A dialog over a dimmed page; Escape or a click outside closes it. `className` sizes it (e.g. 'modal-wide'). */
export function Modal({ title, children, onClose, footer, labelledBy = 'modal-title', className = '' }: { title: ReactNode; children: ReactNode; onClose: () => void; footer?: ReactNode; labelledBy?: string; className?: string }) {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') onClose()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [onClose])
  return (
    <div className="modal-backdrop" onMouseDown={(event) => event.target === event.currentTarget && onClose()}>
      <div className={`modal ${className}`} role="dialog" aria-modal="true" aria-labelledby={labelledBy}>
        <h2 id={labelledBy}>{title}</h2>
        <div className="modal-body">{children}</div>
        {footer && <div className="modal-footer">{footer}</div>}
      </div>
    </div>
  )
}
