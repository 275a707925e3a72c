/**
 * The admin API under /__admin (first slice: health, state, reset). JSON in and out; errors are
 * {error, message, hint} with a 4xx status.
 */
import express, { type Router } from 'express';

export interface AdminDeps {
  version: string;
  startedAt: number;
  ports: () => { http: number | undefined };
  state: () => unknown;
  reset: () => void;
  uptimeMs: () => number;
}

export function createAdminRouter(deps: AdminDeps): Router {
  const router = express.Router();
  router.get('/health', (_req, res) => {
    res.json({ status: 'ok', version: deps.version, uptimeMs: deps.uptimeMs(), ports: deps.ports() });
  });
  router.get('/state', (_req, res) => {
    res.json(deps.state());
  });
  router.post('/reset', (_req, res) => {
    deps.reset();
    res.json({ status: 'reset', state: deps.state() });
  });
  router.use((req, res) => {
    res.status(404).json({
      error: 'not_found',
      message: `No admin route ${req.method} /__admin${req.path}.`,
      hint: 'See docs/admin-api.md for the routes this version serves.',
    });
  });
  return router;
}
