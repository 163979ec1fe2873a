import {
  Catch,
  ServiceUnavailableException,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';

/**
 * A failed check answers 503 with Terminus's own body (`{"status": "error", "error": {...}}`, each
 * indicator that is down by name, with why), which the application's JSON error filter would
 * otherwise flatten into a bare message.
 */
@Catch(ServiceUnavailableException)
export class HealthCheckFilter implements ExceptionFilter {
  catch(exception: ServiceUnavailableException, host: ArgumentsHost): void {
    // Express's response and Fastify's reply alike: an object sent is sent as JSON.
    host
      .switchToHttp()
      .getResponse<JsonSender>()
      .status(exception.getStatus())
      .send(exception.getResponse());
  }
}

interface JsonSender {
  status(code: number): JsonSender;
  send(body: unknown): unknown;
}
