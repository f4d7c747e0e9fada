import type { Relation } from '../graph/asset-graph.js'
import { stagingRelation } from '../warehouse/staging-name.js'
import type { PublicationRecord, Warehouse, WarehouseSession } from '../warehouse/warehouse.js'

/**
 * A warehouse that opens on first use: what a run gets when none of its steps writes a table or
 * runs a check (a chain of `io: 'none'` assets), so it never pays for opening DuckDB, nor waits
 * for its lock, unless asset code calls ctx.warehouse or a dead run must be settled. Closing it
 * closes nothing: the instance owns what `open` opened.
 */
export function lazyWarehouse(dialect: Warehouse['dialect'], open: () => Promise<Warehouse>): Warehouse {
  return {
    dialect,
    session: async (): Promise<WarehouseSession> => (await open()).session(),
    // Every warehouse names staging relations this way (staging-name.ts), opened or not.
    stagingRelation: (target: Relation, runId: string, partition: string | null) => stagingRelation(target, runId, partition),
    publications: async (runId: string): Promise<PublicationRecord[]> => (await open()).publications(runId),
    close: async () => undefined,
  }
}
