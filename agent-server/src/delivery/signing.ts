// Standard Webhooks signatures (webhook-id / webhook-timestamp / webhook-signature).
import { Webhook } from 'standardwebhooks';

export interface SignedHeaders {
	'webhook-id': string;
	'webhook-timestamp': string;
	'webhook-signature': string;
}

export function signPayload(secret: string, id: string, timestamp: Date, body: string): SignedHeaders {
	const signature = new Webhook(secret).sign(id, timestamp, body);
	return {
		'webhook-id': id,
		'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
		'webhook-signature': signature,
	};
}

/** Throws when the signature or timestamp does not verify; returns the parsed body otherwise. */
export function verifyPayload(secret: string, headers: Record<string, string>, body: string): unknown {
	return new Webhook(secret).verify(body, headers);
}
