// The runner talks to the in-process server only through its HTTP API (injected requests), as an integration would.
import type { FastifyInstance } from 'fastify';

export interface ApiResponse {
	status: number;
	body: any;
}
export type ApiCall = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, headers?: Record<string, string>) => Promise<ApiResponse>;

export function apiClient(app: FastifyInstance, apiKey: string): ApiCall {
	return async (method, url, body, headers = {}) => {
		const res = await app.inject({
			method,
			url,
			headers: { authorization: `Bearer ${apiKey}`, ...headers },
			...(body !== undefined ? { payload: body as object } : {}),
		});
		let parsed: unknown = res.body;
		try {
			parsed = res.body ? JSON.parse(res.body) : undefined;
		} catch {
			// not JSON: keep the text
		}
		return { status: res.statusCode, body: parsed };
	};
}

/** Throws with the server's own message when a call the runner needs is refused. */
export async function expectOk(call: Promise<ApiResponse>, what: string): Promise<any> {
	const res = await call;
	if (res.status >= 300) throw new Error(`${what}: the server answered ${res.status}: ${res.body?.message ?? JSON.stringify(res.body)}`);
	return res.body;
}
