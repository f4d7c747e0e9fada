/**
 * Whether `text` matches `pattern`, where a star element of the pattern matches any run of
 * text elements and every other element matches one. Greedy with only the last star
 * remembered, so matching is O(pattern × text) and never backtracks exponentially: the
 * one algorithm behind selections (`*` in keys), file-glob segments and `**` across segments.
 */
export function starMatch<P, T>(pattern: ArrayLike<P>, text: ArrayLike<T>, isStar: (element: P) => boolean, matchesOne: (element: P, item: T) => boolean): boolean {
  let p = 0
  let t = 0
  let star = -1 // the pattern index just after the last star seen
  let resume = 0 // where in text that star's run would end next
  while (t < text.length) {
    if (p < pattern.length && isStar(pattern[p]!)) {
      star = ++p
      resume = t
    } else if (p < pattern.length && matchesOne(pattern[p]!, text[t]!)) {
      p++
      t++
    } else if (star >= 0) {
      // Let the last star swallow one more element; earlier stars never need to move again.
      p = star
      t = ++resume
    } else {
      return false
    }
  }
  while (p < pattern.length && isStar(pattern[p]!)) p++
  return p === pattern.length
}
