// `serve` and `dev` are the project's control plane: one per project, advertised while it lives.
import { advertise, findControlPlane, newSecret } from '../instance/control-plane.js'
import type { Tributary } from '../instance/tributary.js'
import { ErrorCode, TributaryError } from '../model/errors.js'
import { authFromEnv } from '../server/auth.js'
import { startServer, type RunningServer } from '../server/server.js'

/**
 * Starts the HTTP server as the project's control plane: refuses (TRB6051) when a live one
 * already serves the project, accepts a fresh local secret as the operator credential, and
 * advertises itself in `.tributary/control-plane.json` until the returned server closes (or
 * the process exits). CLI commands of the project then submit to it.
 */
export async function startControlPlane(instance: () => Tributary, command: 'serve' | 'dev', listen: { host: string; port: number }): Promise<RunningServer> {
  const { stateDir } = instance()
  const running = await findControlPlane(stateDir)
  if (running) {
    throw new TributaryError(ErrorCode.ControlPlaneRunning, `this project is already served by tributary ${running.command} (pid ${running.pid}) at ${running.url}`, {
      hint: `Open ${running.url}, or stop that process first; one control plane per project owns its warehouse.`,
    })
  }
  const secret = newSecret()
  const server = await startServer({ instance, ...listen, auth: { ...authFromEnv(), localSecret: secret } })
  let advertisement
  try {
    advertisement = await advertise(stateDir, { url: server.url, port: Number(new URL(server.url).port), secret, command })
  } catch (error) {
    await server.close()
    throw error
  }
  const ad = advertisement
  return {
    url: server.url,
    publish: (event) => server.publish(event),
    // Withdrawn first, so no new command submits to a server that is going away.
    async close() {
      await ad.withdraw()
      await server.close()
    },
  }
}
