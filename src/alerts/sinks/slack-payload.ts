import type { IncidentRecord } from '../../store/automation-store.js'
import type { IncidentEvent, Notification } from './sink.js'

/** A Slack-compatible message body: `text` for notifications and plain clients, `blocks` for Block Kit. */
export interface SlackPayload {
  readonly text: string
  readonly blocks: readonly Record<string, unknown>[]
  /** The event and incident as data, for receivers other than Slack (Slack ignores it). */
  readonly tributary: { readonly event: IncidentEvent; readonly incident: IncidentRecord }
}

const ICON: Record<IncidentEvent, Record<IncidentRecord['severity'], string>> = {
  opened: { critical: ':red_circle:', warning: ':large_orange_circle:', info: ':large_blue_circle:' },
  escalated: { critical: ':rotating_light:', warning: ':rotating_light:', info: ':rotating_light:' },
  resolved: { critical: ':white_check_mark:', warning: ':white_check_mark:', info: ':white_check_mark:' },
}

/** Outputs listed before "and N more", so a big incident still fits one Slack section (3,000 characters). */
const LISTED_OUTPUTS = 20

/** Slack's mrkdwn treats &, < and > as markup. */
const escape = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`)

/** One line saying what happened: the notification text and the log sink's line. */
export function summaryLine({ event, incident }: Notification): string {
  const what = `${incident.severity} ${incident.condition} on ${incident.assetKey}`
  const owner = incident.owner ? ` (owner ${incident.owner})` : ''
  const tail = event === 'resolved' ? `: ${incident.resolution ?? 'resolved'}` : `: ${incident.message}`
  return `incident #${incident.id} ${event}: ${what}${owner}${tail}`
}

/** The webhook body for a notification. */
export function slackPayload(notification: Notification): SlackPayload {
  const { event, incident } = notification
  const outputs = incident.affected.slice(0, LISTED_OUTPUTS).map((key) => `• ${escape(key)}`)
  if (incident.affected.length > LISTED_OUTPUTS) outputs.push(`… and ${incident.affected.length - LISTED_OUTPUTS} more`)
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(`Incident #${incident.id} ${event}: ${incident.condition} on ${incident.assetKey}`, 150) } },
    { type: 'section', text: { type: 'mrkdwn', text: clip(`${ICON[event][incident.severity]} ${escape(incident.message)}`, 3000) } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Asset*\n${escape(incident.assetKey)}` },
        { type: 'mrkdwn', text: `*Condition*\n${incident.condition}` },
        { type: 'mrkdwn', text: `*Severity*\n${incident.severity}` },
        { type: 'mrkdwn', text: `*Owner*\n${escape(incident.owner ?? 'not set')}` },
      ],
    },
    { type: 'section', text: { type: 'mrkdwn', text: clip(`*Affected outputs*\n${outputs.length > 0 ? outputs.join('\n') : 'none'}`, 3000) } },
  ]
  if (event === 'resolved') {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(`*Resolution*\n${escape(incident.resolution ?? 'resolved')}`, 3000) } })
  }
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `opened ${incident.openedAt.toISOString()} · seen ${incident.occurrences}× · ${incident.status}` }],
  })
  return { text: escape(clip(`${ICON[event][incident.severity]} ${summaryLine(notification)}`, 3000)), blocks, tributary: { event, incident } }
}
