import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { adoptTokenFromUrl } from './api'
import { App } from './App'
import { startLive } from './live'
import './styles.css'

adoptTokenFromUrl()
startLive()
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
