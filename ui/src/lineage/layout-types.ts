/** Sent to the layout worker: node i has width widths[i]; edges are [from, to] index pairs, flat. */
export interface LayoutRequest {
  readonly id: number
  readonly widths: Float64Array
  readonly height: number
  readonly edges: Int32Array
}

/** Back from the worker: node i's top-left corner at positions[2i], positions[2i+1]. */
export interface LayoutResponse {
  readonly id: number
  readonly positions: Float64Array
  readonly width: number
  readonly height: number
  readonly ms: number
  readonly error?: string
}
