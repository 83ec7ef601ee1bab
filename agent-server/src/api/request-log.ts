// One log line per request (at its end, with the request, the status and the time taken) instead of Fastify's two.
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

export class OneLinePerRequest extends LogController {
	override incomingRequest(): void {}

	override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
		if (this.isLogDisabled(request)) return;
		if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
		else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
	}
}
