// `tributary-orchestrator/testing`: test users' assets and simulate time, without a server.
export { testAsset } from './test-asset.js'
export type { AssetTestResult, CheckOutcomeSummary, Fixture, TestAssetOptions } from './test-asset.js'
export { simulate } from './simulation.js'
export type { Simulation, SimulationOptions } from './simulation.js'
export { ManualClock } from '../engine/clock.js'
