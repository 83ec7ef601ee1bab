// n8n's public API as far as the execution watch reads it, for tests: `GET /api/v1/executions` with `X-N8N-API-KEY`,
// newest first, pages of `limit` with `nextCursor`, each execution's data (`includeData=true`) holding the trigger's item.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeExecution {
	id: string;
	workflowId: string;
	status: string;
	mode?: string;
	startedAt: string;
	stoppedAt?: string | null;
	deliveryId?: string;
	error?: string;
}

export async function startFakeN8nApi(apiKey: string) {
	const executions: FakeExecution[] = [];
	const requests: string[] = [];
	let down = false;
	const server: Server = createServer((req, res) => {
		requests.push(req.url ?? '');
		const url = new URL(req.url ?? '/', 'http://x');
		const refuse = (status: number, message: string) => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ message }));
		if (down) return refuse(503, 'n8n is starting');
		if (req.headers['x-n8n-api-key'] !== apiKey) return refuse(401, 'unauthorized');
		if (url.pathname !== '/api/v1/executions') return refuse(404, 'not found');
		const limit = Number(url.searchParams.get('limit') ?? 100);
		const cursor = Number(url.searchParams.get('cursor') ?? 0);
		const all = executions.filter((e) => e.workflowId === url.searchParams.get('workflowId')).sort((a, b) => Number(b.id) - Number(a.id));
		const page = all.slice(cursor, cursor + limit).map((e) => ({
			id: e.id,
			finished: e.status === 'success',
			mode: e.mode ?? 'webhook',
			startedAt: e.startedAt,
			stoppedAt: e.stoppedAt ?? null,
			workflowId: e.workflowId,
			status: e.status,
			data: {
				resultData: {
					runData: { 'AI Agent Trigger': [{ data: { main: [[{ json: { eventId: 'evt', deliveryId: e.deliveryId } }]] } }] },
					...(e.error ? { error: { message: e.error } } : {}),
				},
			},
		}));
		const next = cursor + limit < all.length ? String(cursor + limit) : null;
		res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: page, nextCursor: next }));
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	return {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
		executions,
		requests,
		setDown: (value: boolean) => (down = value),
		close: () => new Promise<void>((r) => server.close(() => r())),
	};
}

