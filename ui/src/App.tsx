import { createContext, useContext } from 'react'
import type { ApiHealth } from './api'
import { TokenPrompt } from './components/TokenPrompt'
import { useApi } from './data'
import { useConnection } from './live'
import { AssetPage } from './pages/Asset'
import { BackfillPage } from './pages/Backfill'
import { BackfillsPage } from './pages/Backfills'
import { CatalogPage } from './pages/Catalog'
import { LineagePage } from './pages/Lineage'
import { ReadyPage } from './pages/Ready'
import { RunPage } from './pages/Run'
import { RunsPage } from './pages/Runs'
import { WorkersPage } from './pages/Workers'
import { Link, useLocation } from './router'

const HealthContext = createContext<ApiHealth | undefined>(undefined)

/** The server's health: project name and the caller's role. */
export const useHealth = () => useContext(HealthContext)

const NAV = [
  { to: '/', label: 'Catalog', match: (p: string) => p === '/' || p.startsWith('/assets/') },
  { to: '/lineage', label: 'Lineage', match: (p: string) => p.startsWith('/lineage') },
  { to: '/runs', label: 'Runs', match: (p: string) => p.startsWith('/runs') },
  { to: '/backfills', label: 'Backfills', match: (p: string) => p.startsWith('/backfills') },
  { to: '/workers', label: 'Workers', match: (p: string) => p.startsWith('/workers') },
  { to: '/ready', label: 'Is the data ready?', match: (p: string) => p.startsWith('/ready') },
]

export function App() {
  const { path } = useLocation()
  const health = useApi<ApiHealth>('/api/health', (event) => event.type === 'reload')
  const wide = path.startsWith('/lineage')
  return (
    <HealthContext.Provider value={health.data}>
      <div className={`app${wide ? ' app-wide' : ''}`}>
        <TopBar path={path} project={health.data?.project} />
        <main className="main">
          <Route path={path} />
        </main>
        <TokenPrompt />
      </div>
    </HealthContext.Provider>
  )
}

function Route({ path }: { path: string }) {
  if (path === '/' || path === '/catalog') return <CatalogPage />
  if (path === '/lineage') return <LineagePage />
  if (path.startsWith('/assets/')) return <AssetPage assetKey={path.slice('/assets/'.length).replace(/\/+$/, '')} />
  if (path === '/runs') return <RunsPage />
  if (path.startsWith('/runs/')) return <RunPage runId={path.slice('/runs/'.length)} />
  if (path === '/backfills') return <BackfillsPage />
  if (path.startsWith('/backfills/')) return <BackfillPage runId={path.slice('/backfills/'.length)} />
  if (path === '/ready') return <ReadyPage />
  if (path === '/workers') return <WorkersPage />
  return (
    <div className="not-found">
      <h1>Nothing here</h1>
      <p>
        <code className="code-inline">{path}</code> is not a page of Tributary. <Link to="/">Go to the catalog</Link>.
      </p>
    </div>
  )
}

function TopBar({ path, project }: { path: string; project: string | undefined }) {
  const connection = useConnection()
  const connectionText = connection === 'live' ? 'Live' : connection === 'connecting' ? 'Connecting…' : 'Reconnecting…'
  return (
    <header className="topbar">
      <Link to="/" className="brand" aria-label="Tributary home">
        <svg viewBox="0 0 32 32" width="26" height="26" aria-hidden>
          <rect width="32" height="32" rx="8" fill="#1f4e79" />
          <path d="M6 9c6 0 8 7 14 7h6M6 23c6 0 8-7 14-7" stroke="#8fd3ff" strokeWidth="3" fill="none" strokeLinecap="round" />
        </svg>
        <span className="brand-name">Tributary</span>
        {project && <span className="brand-project">{project}</span>}
      </Link>
      <nav className="nav" aria-label="Main">
        {NAV.map((item) => (
          <Link key={item.to} to={item.to} className={`nav-link${item.match(path) ? ' active' : ''}`} aria-current={item.match(path) ? 'page' : undefined}>
            {item.label}
          </Link>
        ))}
      </nav>
      <div className={`connection connection-${connection}`} title={connection === 'live' ? 'Receiving live updates from the server' : 'Waiting for the server’s live updates'} data-connection={connection}>
        <span className="connection-dot" aria-hidden />
        {connectionText}
      </div>
    </header>
  )
}
