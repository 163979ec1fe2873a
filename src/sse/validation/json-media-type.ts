/**
 * The media types a publish body may be sent as: `application/json` and any `application/*+json`
 * (RFC 6839's structured syntax suffix: `application/vnd.api+json`, `application/merge-patch+json`),
 * whatever its parameters. JSON all of them, so all are parsed as JSON. The body parser is given
 * this same predicate (configureApp), so that what passes the check is what gets parsed.
 */
const JSON_MEDIA_TYPE = /^application\/(?:[a-z0-9!#$&^_.-]+\+)?json$/;

export function isJsonMediaType(contentType: string | undefined): boolean {
  const essence = (contentType ?? '').split(';', 1)[0].trim().toLowerCase();
  return JSON_MEDIA_TYPE.test(essence);
}
