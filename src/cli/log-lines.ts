// How a step's log line reads in a terminal (`tributary run`, `tributary run --follow`).
import type { LogRecord } from '../store/records.js'
import { style } from './format.js'

/**
 * One log line: time (UTC, to the millisecond), level when not info, the step (asset,
 * partition, `#attempt` when `showAttempt`), the stream when not ctx.log, then the message.
 * The marker of a truncated log stands out in yellow.
 */
export function formatLogLine(log: LogRecord, showAttempt: boolean): string {
  const level = log.level === 'info' ? '' : log.level === 'warn' ? style.yellow('warn ') : style.red('error ')
  const step = `${style.cyan(log.assetKey)}${log.partition ? style.dim(` [${log.partition}]`) : ''}${showAttempt && log.attempt ? style.dim(` #${log.attempt}`) : ''}`
  const stream = log.stream && log.stream !== 'log' ? style.dim(` ${log.stream}`) : ''
  const message = log.truncated ? style.yellow(log.message) : log.message
  return `  ${style.dim(log.at.toISOString().slice(11, 23))} ${level}${step}${stream} ${message}`
}
