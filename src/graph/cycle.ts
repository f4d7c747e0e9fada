/** Finds one dependency cycle and returns it closed (`[a, b, a]`), or undefined when there is none. */
export function findCycle(keys: readonly string[], next: (key: string) => readonly string[]): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>()
  const stack: string[] = []
  // Iterative DFS so a 10,000-node chain does not overflow the call stack.
  for (const root of keys) {
    if (state.has(root)) continue
    const frames: { key: string; index: number }[] = [{ key: root, index: 0 }]
    state.set(root, 'visiting')
    stack.push(root)
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!
      const edges = next(frame.key)
      if (frame.index < edges.length) {
        const child = edges[frame.index++]!
        const seen = state.get(child)
        if (seen === 'visiting') return [...stack.slice(stack.indexOf(child)), child]
        if (seen === undefined) {
          state.set(child, 'visiting')
          stack.push(child)
          frames.push({ key: child, index: 0 })
        }
      } else {
        state.set(frame.key, 'done')
        stack.pop()
        frames.pop()
      }
    }
  }
  return undefined
}
