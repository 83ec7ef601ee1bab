import { signPayload, verifyPayload } from './signing';

describe('webhook signing', () => {
	it('matches the Standard Webhooks test vector', () => {
		const headers = signPayload(
			'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
			'msg_p5jXN8AQM9LWM0D4loKWxJek',
			new Date(1614265330 * 1000),
			'{"test": 2432232314}',
		);
		expect(headers).toEqual({
			'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
			'webhook-timestamp': '1614265330',
			'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
		});
	});

	it('verifies a fresh signature and rejects a tampered body', () => {
		const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
		const headers = signPayload(secret, 'dlv_1', new Date(), '{"a":1}');
		expect(verifyPayload(secret, { ...headers }, '{"a":1}')).toEqual({ a: 1 });
		expect(() => verifyPayload(secret, { ...headers }, '{"a":2}')).toThrow();
	});
});
