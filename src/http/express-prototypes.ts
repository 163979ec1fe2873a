import { IncomingMessage, ServerResponse, type Server } from 'node:http';

/** What of an Express application this needs: the prototypes it gives requests and responses. */
export interface ExpressPrototypes {
  request: object;
  response: object;
}

/**
 * Has Node create requests and responses with Express's prototypes (`app.request`,
 * `app.response`) in the first place, rather than let Express give them these with
 * `Object.setPrototypeOf` as it takes them. V8 gives an object whose prototype was changed a
 * hidden class of its own, which every property added to it afterwards copies: about 1 KB for
 * each request and each response, as long as they live (a stream's, all its life). Created with
 * the prototype, they share their hidden classes, and Express's `setPrototypeOf` then changes
 * nothing.
 *
 * Node takes the classes as the server's `IncomingMessage` and `ServerResponse` options, which
 * Nest does not pass: they are set on the server Nest made, through the symbols Node keeps them
 * under. A Node without those symbols is left as it is (and costs the kilobytes).
 */
export function createWithExpressPrototypes(server: Server, app: ExpressPrototypes): boolean {
  const symbols = Object.getOwnPropertySymbols(server);
  const requestClass = symbols.find((symbol) => symbol.description === 'IncomingMessage');
  const responseClass = symbols.find((symbol) => symbol.description === 'ServerResponse');
  if (
    requestClass === undefined ||
    responseClass === undefined ||
    (server as unknown as Record<symbol, unknown>)[requestClass] !== IncomingMessage ||
    (server as unknown as Record<symbol, unknown>)[responseClass] !== ServerResponse
  ) {
    return false;
  }
  class ExpressRequest extends IncomingMessage {}
  class ExpressResponse extends ServerResponse {}
  app.request = adopt(ExpressRequest.prototype, app.request);
  app.response = adopt(ExpressResponse.prototype, app.response);
  Object.assign(server, { [requestClass]: ExpressRequest, [responseClass]: ExpressResponse });
  return true;
}

/**
 * `prototype` made into a copy of Express's `appPrototype` (its own properties, such as `app`, on
 * the same prototype chain), to take its place.
 */
function adopt(prototype: object, appPrototype: object): object {
  Object.setPrototypeOf(prototype, Object.getPrototypeOf(appPrototype) as object);
  Object.defineProperties(prototype, Object.getOwnPropertyDescriptors(appPrototype));
  return prototype;
}
