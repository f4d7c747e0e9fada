import { ErrorCode, TributaryError } from '../model/errors.js'

/** A step ran past its timeout. Retryable: the next attempt may be faster. */
export class StepTimeoutError extends TributaryError {
  override readonly name = 'StepTimeoutError'
  constructor(assetKey: string, timeoutMs: number) {
    super(ErrorCode.StepTimeout, `asset ${assetKey} ran longer than its timeout of ${timeoutMs}ms`, {
      context: { assetKey },
      retryable: true,
      hint: 'Make the asset faster, or raise its `timeout`.',
    })
  }
}

/** The run was canceled while the step ran or waited. */
export class CanceledError extends TributaryError {
  override readonly name = 'CanceledError'
  constructor(assetKey: string | undefined, why = 'the run was canceled') {
    super(ErrorCode.Canceled, assetKey ? `${assetKey}: ${why}` : why, { context: assetKey ? { assetKey } : {} })
  }
}

/** An upstream stayed not ready for the whole readiness wait. */
export class NotReadyError extends TributaryError {
  override readonly name = 'NotReadyError'
  constructor(assetKey: string, upstream: string, why: string, owner: string | null, waitedMs: number) {
    super(ErrorCode.NotReady, `${assetKey} not ready: upstream ${upstream} ${why}${owner ? ` (owner ${owner})` : ''}; waited ${Math.round(waitedMs / 1000)}s`, {
      context: { assetKey, upstream },
      hint: owner ? `Ask ${owner} about ${upstream}, then re-run; nothing was built from stale inputs.` : `Fix ${upstream}, then re-run; nothing was built from stale inputs.`,
    })
  }
}
