import { spawn } from 'node:child_process'
import type { Sink } from './sink.js'

/** How much of a failing command's stderr a delivery error keeps. */
const ERROR_STDERR_CHARS = 500

/**
 * Runs `command args…` once per notification with `{ event, incident }` as JSON on stdin and
 * TRIBUTARY_EVENT / TRIBUTARY_INCIDENT_ID / TRIBUTARY_DELIVERY_ID in its environment. A non-zero exit is a failure;
 * the signal kills it.
 */
export function commandSink(name: string, command: string, args: readonly string[] = []): Sink {
  return {
    name,
    send(notification, signal) {
      return new Promise<void>((resolve, reject) => {
        const child = spawn(command, [...args], {
          stdio: ['pipe', 'ignore', 'pipe'],
          signal,
          env: { ...process.env, TRIBUTARY_EVENT: notification.event, TRIBUTARY_INCIDENT_ID: String(notification.incident.id), TRIBUTARY_DELIVERY_ID: String(notification.deliveryId ?? '') },
        })
        let stderr = ''
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
          if (stderr.length < ERROR_STDERR_CHARS) stderr += chunk
        })
        // A command that exits without reading stdin closes the pipe under us; its exit code decides.
        child.stdin.on('error', () => undefined)
        child.stdin.end(JSON.stringify({ event: notification.event, incident: notification.incident }))
        child.on('error', (error) => reject(new Error(`${command} could not run: ${error.message}`)))
        child.on('close', (code, killedBy) => {
          if (code === 0) return resolve()
          const detail = stderr.trim().slice(0, ERROR_STDERR_CHARS)
          reject(new Error(`${command} exited with ${code === null ? `signal ${killedBy}` : `code ${code}`}${detail ? `: ${detail}` : ''}`))
        })
      })
    },
  }
}
