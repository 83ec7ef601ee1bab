// Model observability for this instance: a warn log per failed provider request and counters for requests by
// outcome, fallbacks by reason, tokens and latency. Fed by the engine's events; nothing here sees a prompt or a key.
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Engine } from '../engine/types';

export function installModelMetrics(app: FastifyInstance, engine: Engine, registry: Registry): void {
	const requests = new Counter({
		name: 'agent_bridge_model_requests_total',
		help: 'Provider requests by provider and outcome (ok, http_error, timeout, unreachable, malformed, output_limit, refused, deadline)',
		labelNames: ['provider', 'outcome', 'status'],
		registers: [registry],
	});
	const fallbacks = new Counter({
		name: 'agent_bridge_model_fallbacks_total',
		help: 'Turns, scores and messages answered by the rules because the model failed, by what and why',
		labelNames: ['purpose', 'reason'],
		registers: [registry],
	});
	const tokens = new Counter({
		name: 'agent_bridge_model_tokens_total',
		help: 'Tokens the provider reported, in (prompt) and out (completion)',
		labelNames: ['direction'],
		registers: [registry],
	});
	const latency = new Histogram({
		name: 'agent_bridge_model_request_duration_seconds',
		help: 'Provider request latency by provider and outcome',
		labelNames: ['provider', 'outcome'],
		buckets: [0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
		registers: [registry],
	});
	// Zero series exist from the start, so a dashboard shows 0 rather than nothing.
	tokens.inc({ direction: 'in' }, 0);
	tokens.inc({ direction: 'out' }, 0);
	const stop = engine.observe?.((event) => {
		if (event.type === 'fallback') {
			fallbacks.inc({ purpose: event.purpose, reason: event.kind });
			// One line per fallback too: a request can succeed and its answer still be unusable.
			app.log.warn({ purpose: event.purpose, kind: event.kind, reason: event.reason, ...(event.detail ? { detail: event.detail } : {}) }, 'model fallback: the rules answered');
			return;
		}
		requests.inc({ provider: event.provider, outcome: event.outcome, status: event.status ? String(event.status) : '' });
		latency.observe({ provider: event.provider, outcome: event.outcome }, event.latencyMs / 1000);
		if (event.tokensIn) tokens.inc({ direction: 'in' }, event.tokensIn);
		if (event.tokensOut) tokens.inc({ direction: 'out' }, event.tokensOut);
		if (event.outcome !== 'ok') {
			app.log.warn(
				{
					provider: event.provider,
					model: event.model,
					purpose: event.purpose,
					outcome: event.outcome,
					...(event.status ? { status: event.status } : {}),
					reason: event.reason,
					...(event.detail ? { detail: event.detail } : {}),
					attempt: event.attempt,
					latencyMs: event.latencyMs,
				},
				'model request failed',
			);
		}
	});
	if (stop) app.addHook('onClose', async () => stop());
}
