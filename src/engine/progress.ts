import type { SerializedError } from '../model/errors.js'
import type { RunStatus, StepStatus } from '../store/records.js'

/** The reasons of steps a pause or a cancel left unstarted (canceled, for a resume to do). */
export const UNSTARTED = {
  paused: 'the run was paused before this step started',
  canceled: 'the run was canceled before this step started',
} as const

/** What a run reports as it goes, for progress displays and live updates. */
export type ProgressEvent =
  | { readonly type: 'run_started'; readonly runId: string; readonly total: number }
  | {
      readonly type: 'step'
      readonly runId: string
      readonly key: string
      readonly partition: string | null
      readonly status: StepStatus
      readonly attempt: number
      readonly reason?: string | null
      readonly error?: SerializedError | null
      readonly durationMs?: number | null
    }
  /** A pause was asked for: running steps finish, no more start. */
  | { readonly type: 'run_pausing'; readonly runId: string }
  | { readonly type: 'run_finished'; readonly runId: string; readonly status: RunStatus; readonly counts: Readonly<Record<StepStatus, number>> }

/** Receives progress events; must not throw. */
export type ProgressListener = (event: ProgressEvent) => void
