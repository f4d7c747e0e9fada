// Reads a Server-Sent Events response (GET /api/events) as parsed events.

/** One event of the stream: its `id:` (null when it has none), `event:` name and JSON data. */
export interface StreamEvent {
  readonly id: number | null
  readonly event: string
  readonly data: unknown
}

/**
 * Yields the events of an open text/event-stream response until it ends; comment lines
 * (`: connected`, `: heartbeat`) are skipped, except that `onComment` hears them.
 */
export async function* readEvents(body: ReadableStream<Uint8Array>, onComment?: (text: string) => void): AsyncGenerator<StreamEvent> {
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true })
    let end: number
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      let id: number | null = null
      let event = 'message'
      const data: string[] = []
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) onComment?.(line.slice(1).trim())
        else if (line.startsWith('id:')) id = Number(line.slice(3).trim())
        else if (line.startsWith('event:')) event = line.slice(6).trim()
        else if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5))
      }
      if (data.length > 0) yield { id, event, data: JSON.parse(data.join('\n')) as unknown }
    }
  }
}
