/**
 * Entry of the engine worker process (dist/worker.js), forked by the extension host. It keeps one
 * warm Session so that explanations after a scan are cheap queries, and serves the protocol in
 * src/protocol/worker.ts over Node's IPC channel.
 */
import { Session } from '../engine/session';
import type { WorkerMessage } from '../protocol/worker';
import { WorkerServer } from './server';

if (!process.send) {
  process.stderr.write('dist/worker.js is the Dataset Debugger engine worker; it is started by the extension (use dist/cli.js on the command line).\n');
  process.exit(2);
}

const send = (msg: WorkerMessage) => process.send!(msg);
const server = new WorkerServer(createHandlers(new Session()), send);
process.on('message', (m) => server.receive(m));
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', pid: process.pid });

function createHandlers(session: Session) {
  return {
    scan: async (params: Parameters<Session['scan']>[0], ctx: import('./server').RequestContext) => {
      const t0 = performance.now();
      const reply = await session.scan(params, ctx.checkpoint);
      const t = reply.summary.timings;
      ctx.log(
        'info',
        `scan ${params.file}: ${reply.summary.analysis.method} with ${reply.summary.model.kind} (solver ${reply.summary.analysis.solver}` +
          (reply.summary.model.backend ? `, tfjs ${reply.summary.model.backend}` : '') +
          `), ${reply.summary.dataset.rows} rows, ${reply.summary.model.parameters} parameters, ` +
          (Number.isFinite(reply.summary.model.trainAccuracy) ? `train accuracy ${(reply.summary.model.trainAccuracy * 100).toFixed(1)}%, ` : '') +
          Object.entries(t).map(([k, v]) => `${k} ${(v * 1000).toFixed(0)} ms`).join(', ') +
          `, total ${(performance.now() - t0).toFixed(0)} ms`,
      );
      return reply;
    },
    page: async (params: Parameters<Session['page']>[0]) => session.page(params),
    explain: async (params: Parameters<Session['explain']>[0], ctx: import('./server').RequestContext) => {
      const t0 = performance.now();
      const r = await session.explainAsync(params, ctx.checkpoint);
      ctx.log('info', `explain ${params.source} row ${params.row} (${r.method}, ${r.objective.description}): ${(performance.now() - t0).toFixed(1)} ms`);
      return r;
    },
    explainCluster: async (params: Parameters<Session['explainCluster']>[0], ctx: import('./server').RequestContext) => {
      const t0 = performance.now();
      const r = await session.explainCluster(params, ctx.checkpoint);
      ctx.log('info', `explainCluster row ${params.row}: cluster ${r.cluster}, ${r.solve.iterations} CG iterations, ${(performance.now() - t0).toFixed(0)} ms`);
      return r;
    },
    // (duplicates: every handler times its request and logs one line; the lines differ.)
    trust: async (params: Parameters<Session['trust']>[0], ctx: import('./server').RequestContext) => {
      const t0 = performance.now();
      const r = await session.trust(params, ctx.checkpoint);
      ctx.log(
        'info',
        `trust ${params.source} row ${params.row}: ${r.leaveOneOut.rows.length} leave-one-out refits ` +
          `(Pearson first order ${r.leaveOneOut.firstOrder.pearson.toFixed(3)}, Newton ${r.leaveOneOut.newton.pearson.toFixed(3)})` +
          (r.lds ? `, LDS ${r.lds.spearman.toFixed(3)} over ${r.lds.subsets} subsets` : '') +
          `, ${(performance.now() - t0).toFixed(0)} ms`,
      );
      return r;
    },
    relabel: async (params: Parameters<Session['relabel']>[0], ctx: import('./server').RequestContext) => {
      const t0 = performance.now();
      const r = await session.relabel(params, ctx.checkpoint);
      ctx.log(
        'info',
        `relabel ${params.changes.length} rows: ${r.on} loss ${r.before.loss.toFixed(4)} -> predicted ${r.predicted.loss.toFixed(4)}` +
          (r.actual ? `, actual ${r.actual.loss.toFixed(4)} (refit ${r.refit?.iterations} iterations)` : '') +
          `, ${(performance.now() - t0).toFixed(0)} ms`,
      );
      return r;
    },
    rows: async (params: Parameters<Session['rows']>[0]) => session.rows(params),
    lines: async (params: Parameters<Session['lines']>[0]) => session.lines(params),
    columns: async (params: Parameters<typeof Session.columns>[0], ctx: import('./server').RequestContext) =>
      Session.columns(params, ctx.checkpoint),
  };
}
