/** Signals that ask a running command to stop: Ctrl-C, and what supervisors send (systemd, Kubernetes, `timeout`, a closed terminal). */
export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP'

const SIGNAL_NUMBERS: Readonly<Record<StopSignal, number>> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }

/** The conventional exit code of a process stopped by `signal`: 128 + its number (SIGTERM 143, SIGHUP 129, SIGINT 130). */
export function signalExitCode(signal: StopSignal): number {
  return 128 + SIGNAL_NUMBERS[signal]
}

/**
 * Calls `handler` on every SIGINT, SIGTERM and SIGHUP until the returned function is called.
 * While a handler is installed Node no longer exits on these signals, so the command can record
 * how its run ended before it goes.
 */
export function onStopSignals(handler: (signal: StopSignal) => void): () => void {
  const signals: StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP']
  const listeners = signals.map((signal) => [signal, () => handler(signal)] as const)
  for (const [signal, listener] of listeners) process.on(signal, listener)
  return () => {
    for (const [signal, listener] of listeners) process.off(signal, listener)
  }
}
