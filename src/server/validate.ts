// Checks every /api request against its schema in REQUESTS before a route sees it: unknown query
// parameters or body fields are refused (TRB6025) by name, wrong values with what is expected.
import type { Context, MiddlewareHandler } from 'hono'
import type { z } from 'zod'
import { ErrorCode } from '../model/errors.js'
import type { AuthEnv } from './auth.js'
import { badRequest, HttpError } from './errors.js'
import { jsonObjectBody } from './params.js'
import { REQUESTS, type RequestSchema, type RouteKey } from './request-schemas.js'

// Patterns from the constant route table, never from a request. `{key}` keeps its slashes.
const ROUTES = Object.entries(REQUESTS as Record<string, RequestSchema>).map(([route, schema]) => {
  const [method, path] = route.split(' ') as [string, string]
  const pattern = new RegExp(`^${path.replaceAll('.', '\\.').replace('{key}', '(?:.+)').replace(/\{\w+\}/g, '[^/]+')}$`)
  return { route, method, pattern, schema }
})

/** The route of REQUESTS that `method` and `path` address, if any. */
export function routeOf(method: string, path: string): RouteKey | undefined {
  return ROUTES.find((r) => r.method === method && r.pattern.test(path))?.route as RouteKey | undefined
}

/**
 * Middleware: validates the query string (each parameter at most once) and, for routes with a
 * JSON body, the body, which routes then read with {@link bodyOf}. Paths no route serves pass
 * through to the 404.
 */
export const validRequest: MiddlewareHandler<AuthEnv> = async (c, next) => {
  const route = ROUTES.find((r) => r.method === c.req.method && r.pattern.test(c.req.path))
  if (!route) return next()
  const queries = c.req.queries()
  const repeated = Object.keys(queries).filter((name) => queries[name]!.length > 1)
  if (repeated.length > 0) throw badRequest(`the query parameter ${repeated.join(', ')} is given more than once`)
  const query = Object.fromEntries(Object.entries(queries).map(([name, values]) => [name, values[0]!]))
  const checked = route.schema.query.safeParse(query)
  if (!checked.success) throw invalid(checked.error, 'query parameter', query, `${route.route} takes ${describeFields(route.schema.query)}.`)
  c.set('query' as never, checked.data as never)
  if (route.schema.body && route.schema.body !== 'raw') {
    const body = await jsonObjectBody(c, route.schema.hint)
    const parsed = route.schema.body.safeParse(body)
    if (!parsed.success) throw invalid(parsed.error, 'field', body, route.schema.hint)
    c.set('body' as never, parsed.data as never)
  }
  return next()
}

/** The validated query of `route`, defaults applied and numbers parsed (set by {@link validRequest}). */
export function queryOf<K extends RouteKey>(c: Context, _route: K): z.infer<(typeof REQUESTS)[K]['query']> {
  return c.get('query' as never)
}

/** The validated JSON body of `route` (set by {@link validRequest}). */
export function bodyOf<K extends RouteKey>(c: Context, _route: K): (typeof REQUESTS)[K] extends { body: infer B extends z.ZodType } ? z.infer<B> : never {
  return c.get('body' as never)
}

function invalid(error: z.ZodError, what: string, input: Record<string, unknown>, hint: string | undefined): HttpError {
  const unknown = error.issues.flatMap((issue) => (issue.code === 'unrecognized_keys' ? issue.keys : []))
  if (unknown.length > 0) {
    return new HttpError(400, ErrorCode.UnknownField, `unknown ${what}${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`, hint)
  }
  const issue = error.issues[0]!
  const name = issue.path.join('.')
  const value = input[String(issue.path[0])]
  const shown = what === 'query parameter' && value !== undefined ? `, not ${JSON.stringify(value)}` : ''
  return badRequest(`${name} ${issue.message}${shown}`, hint)
}

function describeFields(schema: z.ZodObject): string {
  const names = Object.keys(schema.shape)
  return names.length === 0 ? 'no query parameters' : `only ${names.join(', ')}`
}
