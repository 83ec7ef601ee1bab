import type { IDataObject, INodeType, IWebhookResponseData } from 'n8n-workflow';

import { sign, webhookContext } from './helpers';

export const WEBHOOK_URL = 'https://n8n.test/webhook/abc/webhook';
export const TEST_WEBHOOK_URL = 'https://n8n.test/webhook-test/abc/webhook';
export const SECRET = 'whsec_' + Buffer.from('a-24-byte-secret-for-tests!').toString('base64');

/** A delivery as the server sends it: Standard Webhooks headers over the exact body. */
export function signedRequest(
	envelope: IDataObject,
	options: { id?: string; timestamp?: number; secret?: string; body?: string; staticData?: IDataObject; request?: (...args: any[]) => unknown } = {},
) {
	const body = JSON.stringify(envelope);
	const id = options.id ?? 'msg_1';
	const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
	const staticData = options.staticData ?? { subscriptionId: 'sub_1', secret: SECRET };
	return {
		staticData,
		...webhookContext({
			staticData,
			headers: {
				'content-type': 'application/json',
				'webhook-id': id,
				'webhook-timestamp': String(timestamp),
				'webhook-signature': sign(options.secret ?? SECRET, id, timestamp, body),
			},
			rawBody: Buffer.from(options.body ?? body),
			request: options.request,
		}),
	};
}

export function hooksOf(node: INodeType) {
	const hooks = node.webhookMethods?.default;
	if (!hooks || !node.webhook) throw new Error('not a webhook trigger');
	return { hooks, webhook: node.webhook as (this: unknown) => Promise<IWebhookResponseData> };
}
