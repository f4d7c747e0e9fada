import type { Relation } from '../graph/asset-graph.js'
import type { WarehouseSession } from '../warehouse/warehouse.js'
import type { WarehouseCall } from './executor.js'

/**
 * Serves one warehouse call of a step's code on a session; writes go to the step's staging
 * relation. The control plane serves calls that come through the StepHost this way, and a
 * worker that connects to the warehouse itself (PostgreSQL) serves its own.
 */
export async function serveWarehouseCall(session: WarehouseSession, call: WarehouseCall, staging: Relation | null | undefined): Promise<unknown> {
  switch (call.op) {
    case 'query': return session.query(call.sql, call.params)
    case 'exec': return session.exec(call.sql)
    case 'writeRows': return session.createFromRows(staging!, call.rows)
    case 'writeSql': return session.createFromSelect(staging!, call.select)
    case 'loadCsv': return session.createFromCsv(staging!, call.files)
  }
}
