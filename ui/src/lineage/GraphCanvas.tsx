// Draws the laid-out lineage on a canvas: only what is in view, labels only when readable.
// Drag to pan, wheel to zoom, click a node to open it.
import { useCallback, useEffect, useImperativeHandle, useMemo, useRef, useState, type Ref } from 'react'
import type { ApiAssetStatus } from '../api'
import { STATUS_LABEL } from '../components/ui'
import { LABEL_FONT, MAX_NODE_WIDTH, NODE_HEIGHT, type GraphLayout } from './layout'

export const STATUS_COLOR: Record<ApiAssetStatus, string> = {
  fresh: '#16a34a', stale: '#d97706', late: '#7c3aed', failed: '#dc2626', blocked: '#dc2626', missing: '#94a3b8', running: '#2563eb',
}
const STATUS_TINT: Record<ApiAssetStatus, string> = {
  fresh: '#ecfdf3', stale: '#fffbeb', late: '#f5f3ff', failed: '#fef2f2', blocked: '#fef2f2', missing: '#f8fafc', running: '#eff6ff',
}
const EDGE = '#c4ccd8'
const IMPACT = '#dc2626'
const HOVER = '#2563eb'
const MARK = '#1d4ed8'
const MIN_ZOOM = 0.02
const MAX_ZOOM = 2.5

export interface NodeInfo {
  readonly status: ApiAssetStatus
  readonly kind: string
  readonly owner: string | null
}

export interface GraphHandle {
  zoomBy(factor: number): void
  fit(): void
  centerOn(key: string, zoom?: number): void
}

interface View {
  k: number
  tx: number
  ty: number
}

export function GraphCanvas({ layout, info, impactedNodes, impactedEdges, marked, focusKey, onOpen, onRendered, handle }: {
  layout: GraphLayout
  info: readonly NodeInfo[]
  /** 1 for nodes downstream of a failed or blocked asset (or that asset itself). */
  impactedNodes: Uint8Array
  /** 1 for edges on a path from a failed or blocked asset to what it affects. */
  impactedEdges: Uint8Array
  /** 1 for nodes drawn with a thick blue outline (the plan's changed assets). Default: none. */
  marked?: Uint8Array
  focusKey: string | null
  onOpen: (key: string) => void
  onRendered?: (ms: number) => void
  handle?: Ref<GraphHandle>
}) {
  const wrap = useRef<HTMLDivElement>(null)
  const canvas = useRef<HTMLCanvasElement>(null)
  const view = useRef<View>({ k: 1, tx: 0, ty: 0 })
  const size = useRef({ w: 0, h: 0 })
  const frame = useRef<number | undefined>(undefined)
  const hoverRef = useRef(-1)
  const [hover, setHover] = useState<{ index: number; x: number; y: number } | null>(null)
  const rendered = useRef(false)
  const props = useRef({ layout, info, impactedNodes, impactedEdges, marked, focusKey })
  props.current = { layout, info, impactedNodes, impactedEdges, marked, focusKey }

  const labels = useMemo(() => fitLabels(layout), [layout])
  // Per node: indices of its edges, for hover highlighting.
  const nodeEdges = useMemo(() => {
    const lists: number[][] = layout.keys.map(() => [])
    for (let e = 0; e < layout.edges.length / 2; e++) {
      lists[layout.edges[e * 2]!]!.push(e)
      lists[layout.edges[e * 2 + 1]!]!.push(e)
    }
    return lists
  }, [layout])

  const draw = useCallback(() => {
    frame.current = undefined
    const el = canvas.current
    if (!el) return
    const ctx = el.getContext('2d')
    if (!ctx) return
    const started = performance.now()
    const { layout: g, info: nodes, impactedNodes: hitNodes, impactedEdges: hitEdges, marked: marks, focusKey: focus } = props.current
    const dpr = window.devicePixelRatio || 1
    const { w, h } = size.current
    const { k, tx, ty } = view.current
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
    ctx.clearRect(0, 0, w, h)
    ctx.setTransform(k * dpr, 0, 0, k * dpr, tx * dpr, ty * dpr)
    // The world rectangle in view.
    const left = -tx / k
    const top = -ty / k
    const right = left + w / k
    const bottom = top + h / k
    const half = NODE_HEIGHT / 2
    const hovered = hoverRef.current
    const hoverEdges = hovered >= 0 ? new Set(nodeEdges[hovered]) : null
    const edgeCount = g.edges.length / 2

    // Edges, in three passes by style: plain, impact, hovered.
    const arrows = k >= 0.45
    for (const pass of [0, 1, 2]) {
      ctx.beginPath()
      const heads: number[] = []
      let any = false
      for (let e = 0; e < edgeCount; e++) {
        const style = hoverEdges?.has(e) ? 2 : hitEdges[e] ? 1 : 0
        if (style !== pass) continue
        const a = g.edges[e * 2]!
        const b = g.edges[e * 2 + 1]!
        const x1 = g.x[a]! + g.w[a]!
        const y1 = g.y[a]! + half
        const x2 = g.x[b]!
        const y2 = g.y[b]! + half
        if (Math.max(x1, x2) < left || Math.min(x1, x2) > right || Math.max(y1, y2) < top || Math.min(y1, y2) > bottom) continue
        const dx = Math.max(24, (x2 - x1) / 2)
        ctx.moveTo(x1, y1)
        ctx.bezierCurveTo(x1 + dx, y1, x2 - dx, y2, x2 - (arrows ? 5 : 0), y2)
        if (arrows) heads.push(x2, y2)
        any = true
      }
      if (!any) continue
      ctx.strokeStyle = pass === 0 ? EDGE : pass === 1 ? IMPACT : HOVER
      ctx.lineWidth = (pass === 0 ? 1.2 : 2.2) / Math.min(1, Math.max(k, 0.15))
      ctx.globalAlpha = pass === 1 && hovered >= 0 ? 0.55 : 1
      ctx.stroke()
      if (heads.length) {
        ctx.beginPath()
        for (let h = 0; h < heads.length; h += 2) {
          ctx.moveTo(heads[h]!, heads[h + 1]!)
          ctx.lineTo(heads[h]! - 7, heads[h + 1]! - 4)
          ctx.lineTo(heads[h]! - 7, heads[h + 1]! + 4)
          ctx.closePath()
        }
        ctx.fillStyle = ctx.strokeStyle
        ctx.fill()
      }
      ctx.globalAlpha = 1
    }

    // Nodes.
    const detailed = k >= 0.5
    const outlined = k >= 0.18
    ctx.font = LABEL_FONT
    ctx.textBaseline = 'middle'
    for (let i = 0; i < g.keys.length; i++) {
      const x = g.x[i]!
      const y = g.y[i]!
      const nw = g.w[i]!
      if (x > right || x + nw < left || y > bottom || y + NODE_HEIGHT < top) continue
      const node = nodes[i]!
      const color = STATUS_COLOR[node.status]
      if (!outlined) {
        ctx.fillStyle = color
        ctx.fillRect(x, y, nw, NODE_HEIGHT)
        continue
      }
      const isFocus = focus !== null && g.keys[i] === focus
      const isHover = i === hovered
      ctx.beginPath()
      roundRect(ctx, x, y, nw, NODE_HEIGHT, 7)
      ctx.fillStyle = detailed ? (node.status === 'failed' || node.status === 'blocked' ? STATUS_TINT[node.status] : '#ffffff') : STATUS_TINT[node.status]
      ctx.fill()
      const isMarked = marks?.[i] === 1
      ctx.lineWidth = (isFocus ? 2.5 : isHover ? 2 : isMarked ? 3 : hitNodes[i] ? 1.5 : 1) / Math.min(1, k)
      ctx.strokeStyle = isFocus ? '#0f2d4a' : isHover ? HOVER : isMarked ? MARK : hitNodes[i] ? IMPACT : detailed ? '#cfd6e1' : color
      ctx.stroke()
      if (detailed) {
        ctx.beginPath()
        ctx.arc(x + 15, y + half, 4.5, 0, Math.PI * 2)
        ctx.fillStyle = color
        ctx.fill()
        ctx.fillStyle = '#1e293b'
        ctx.fillText(labels[i]!, x + 27, y + half + 0.5)
      } else {
        ctx.fillStyle = color
        ctx.fillRect(x, y + 4, 4 / Math.max(k, 0.25), NODE_HEIGHT - 8)
      }
    }
    if (!rendered.current && g.keys.length > 0) {
      rendered.current = true
      el.dataset.rendered = '1'
      onRenderedRef.current?.(performance.now() - started)
    }
  }, [labels, nodeEdges])

  const onRenderedRef = useRef(onRendered)
  onRenderedRef.current = onRendered

  const schedule = useCallback(() => {
    if (frame.current === undefined) frame.current = window.requestAnimationFrame(draw)
  }, [draw])

  const fit = useCallback(() => {
    const g = props.current.layout
    const { w, h } = size.current
    if (!w || !h) return
    const pad = 48
    const k = Math.min(1.2, Math.max(MIN_ZOOM, Math.min((w - pad * 2) / Math.max(g.width, 1), (h - pad * 2) / Math.max(g.height, 1))))
    view.current = { k, tx: (w - g.width * k) / 2, ty: (h - g.height * k) / 2 }
    schedule()
  }, [schedule])

  const centerOn = useCallback((key: string, zoom?: number) => {
    const g = props.current.layout
    const i = g.index.get(key)
    if (i === undefined) return
    const { w, h } = size.current
    const k = zoom ?? Math.max(view.current.k, 0.9)
    view.current = { k, tx: w / 2 - (g.x[i]! + g.w[i]! / 2) * k, ty: h / 2 - (g.y[i]! + NODE_HEIGHT / 2) * k }
    schedule()
  }, [schedule])

  const zoomAt = useCallback((factor: number, sx: number, sy: number) => {
    const v = view.current
    const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, v.k * factor))
    const f = k / v.k
    view.current = { k, tx: sx - (sx - v.tx) * f, ty: sy - (sy - v.ty) * f }
    schedule()
  }, [schedule])

  useImperativeHandle(handle, () => ({
    zoomBy: (factor) => zoomAt(factor, size.current.w / 2, size.current.h / 2),
    fit,
    centerOn,
  }), [zoomAt, fit, centerOn])

  // Size the canvas to its box (and the screen's pixel ratio); the first sizing fits the graph.
  const sized = useRef(false)
  useEffect(() => {
    const box = wrap.current
    const el = canvas.current
    if (!box || !el) return
    const resize = () => {
      const rect = box.getBoundingClientRect()
      const dpr = window.devicePixelRatio || 1
      size.current = { w: rect.width, h: rect.height }
      el.width = Math.round(rect.width * dpr)
      el.height = Math.round(rect.height * dpr)
      el.style.width = `${rect.width}px`
      el.style.height = `${rect.height}px`
      if (!sized.current && rect.width > 0) {
        sized.current = true
        const focus = props.current.focusKey
        const g = props.current.layout
        fit()
        // A focused asset in a graph too big to read at fit size: start at the asset instead.
        if (focus && view.current.k < 0.6 && g.index.has(focus)) centerOn(focus, 0.9)
      }
      schedule()
    }
    const observer = new ResizeObserver(resize)
    observer.observe(box)
    resize()
    return () => observer.disconnect()
  }, [fit, centerOn, schedule])

  // A new layout: fit it again.
  const lastLayout = useRef(layout)
  useEffect(() => {
    if (lastLayout.current !== layout) {
      lastLayout.current = layout
      rendered.current = false
      fit()
    }
    schedule()
  }, [layout, info, impactedNodes, impactedEdges, marked, focusKey, fit, schedule])

  useEffect(() => () => {
    if (frame.current !== undefined) window.cancelAnimationFrame(frame.current)
  }, [])

  // Where a node is on screen: lets tests (and tools) click an asset on the canvas.
  useEffect(() => {
    const hook = window as unknown as { __tributaryNodeAt?: (key: string) => { x: number; y: number } | null }
    hook.__tributaryNodeAt = (key) => {
      const i = layout.index.get(key)
      const el = canvas.current
      if (i === undefined || !el) return null
      const rect = el.getBoundingClientRect()
      const { k, tx, ty } = view.current
      return { x: rect.left + tx + (layout.x[i]! + layout.w[i]! / 2) * k, y: rect.top + ty + (layout.y[i]! + NODE_HEIGHT / 2) * k }
    }
    return () => {
      delete hook.__tributaryNodeAt
    }
  }, [layout])

  // How a node is drawn besides its status (impact and plan marks): what a test cannot read off a canvas.
  useEffect(() => {
    const hook = window as unknown as { __tributaryNodeMarks?: (key: string) => { impacted: boolean; marked: boolean } | null }
    hook.__tributaryNodeMarks = (key) => {
      const i = layout.index.get(key)
      return i === undefined ? null : { impacted: impactedNodes[i] === 1, marked: marked?.[i] === 1 }
    }
    return () => {
      delete hook.__tributaryNodeMarks
    }
  }, [layout, impactedNodes, marked])

  // Wheel zoom needs a non-passive listener to keep the page from scrolling.
  useEffect(() => {
    const el = canvas.current
    if (!el) return
    const onWheel = (event: WheelEvent) => {
      event.preventDefault()
      const rect = el.getBoundingClientRect()
      const delta = event.deltaMode === 1 ? event.deltaY * 16 : event.deltaY
      zoomAt(Math.exp(-delta * (event.ctrlKey ? 0.01 : 0.0018)), event.clientX - rect.left, event.clientY - rect.top)
    }
    el.addEventListener('wheel', onWheel, { passive: false })
    return () => el.removeEventListener('wheel', onWheel)
  }, [zoomAt])

  const hitTest = (sx: number, sy: number): number => {
    const { k, tx, ty } = view.current
    const wx = (sx - tx) / k
    const wy = (sy - ty) / k
    const g = props.current.layout
    for (let i = g.keys.length - 1; i >= 0; i--) {
      const x = g.x[i]!
      const y = g.y[i]!
      if (wx >= x && wx <= x + g.w[i]! && wy >= y && wy <= y + NODE_HEIGHT) return i
    }
    return -1
  }

  const drag = useRef<{ x: number; y: number; tx: number; ty: number; moved: boolean; id: number } | null>(null)
  const point = (event: { clientX: number; clientY: number }) => {
    const rect = canvas.current!.getBoundingClientRect()
    return { x: event.clientX - rect.left, y: event.clientY - rect.top }
  }

  const setHovered = (index: number, x: number, y: number) => {
    if (index !== hoverRef.current) {
      hoverRef.current = index
      schedule()
    }
    setHover(index >= 0 ? { index, x, y } : null)
  }

  return (
    <div className="graph-wrap" ref={wrap}>
      <canvas
        ref={canvas}
        className={`graph-canvas${hover ? ' over-node' : ''}${drag.current?.moved ? ' dragging' : ''}`}
        data-node-count={layout.keys.length}
        tabIndex={0}
        aria-label={`Lineage graph of ${layout.keys.length} assets. Drag to pan, scroll to zoom, click an asset to open it.`}
        onPointerDown={(event) => {
          const p = point(event)
          drag.current = { x: p.x, y: p.y, tx: view.current.tx, ty: view.current.ty, moved: false, id: event.pointerId }
          canvas.current?.setPointerCapture(event.pointerId)
        }}
        onPointerMove={(event) => {
          const p = point(event)
          const d = drag.current
          if (d) {
            if (!d.moved && Math.hypot(p.x - d.x, p.y - d.y) > 4) d.moved = true
            if (d.moved) {
              view.current = { ...view.current, tx: d.tx + p.x - d.x, ty: d.ty + p.y - d.y }
              setHovered(-1, 0, 0)
              schedule()
              return
            }
          }
          setHovered(hitTest(p.x, p.y), p.x, p.y)
        }}
        onPointerUp={(event) => {
          const d = drag.current
          drag.current = null
          canvas.current?.releasePointerCapture(event.pointerId)
          if (d && !d.moved) {
            const p = point(event)
            const i = hitTest(p.x, p.y)
            if (i >= 0) onOpen(layout.keys[i]!)
          }
        }}
        onPointerLeave={() => setHovered(-1, 0, 0)}
        onKeyDown={(event) => {
          if (event.key === '+' || event.key === '=') zoomAt(1.25, size.current.w / 2, size.current.h / 2)
          else if (event.key === '-') zoomAt(0.8, size.current.w / 2, size.current.h / 2)
          else if (event.key === '0') fit()
        }}
      />
      {hover && info[hover.index] && (
        <div className="graph-tooltip" style={{ left: hover.x + 14, top: hover.y + 14 }}>
          <div className="graph-tooltip-key">{layout.keys[hover.index]}</div>
          <div>
            <span className="graph-tooltip-dot" style={{ background: STATUS_COLOR[info[hover.index]!.status] }} />
            {STATUS_LABEL[info[hover.index]!.status]} · {info[hover.index]!.kind}
            {info[hover.index]!.owner && <> · {info[hover.index]!.owner}</>}
          </div>
          {impactedNodes[hover.index] === 1 && info[hover.index]!.status !== 'failed' && info[hover.index]!.status !== 'blocked' && (
            <div className="graph-tooltip-impact">Affected by an upstream failure</div>
          )}
          <div className="graph-tooltip-hint">Click to open</div>
        </div>
      )}
    </div>
  )
}

function roundRect(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number, r: number) {
  ctx.moveTo(x + r, y)
  ctx.arcTo(x + w, y, x + w, y + h, r)
  ctx.arcTo(x + w, y + h, x, y + h, r)
  ctx.arcTo(x, y + h, x, y, r)
  ctx.arcTo(x, y, x + w, y, r)
  ctx.closePath()
}

/** Labels cut with an ellipsis to fit their node. */
function fitLabels(layout: GraphLayout): string[] {
  const ctx = document.createElement('canvas').getContext('2d')
  if (!ctx) return [...layout.keys]
  ctx.font = LABEL_FONT
  return layout.keys.map((key, i) => {
    // labelWidth made every narrower node wide enough for its label: only the widest may need a cut.
    if (layout.w[i]! < MAX_NODE_WIDTH) return key
    const room = layout.w[i]! - 38
    if (ctx.measureText(key).width <= room) return key
    let cut = key.length
    while (cut > 4 && ctx.measureText(`…${key.slice(key.length - cut)}`).width > room) cut--
    return `…${key.slice(key.length - cut)}`
  })
}
