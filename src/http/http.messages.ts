export const BODY_NOT_VALID_JSON = (detail: string) => `The body is not valid JSON: ${detail}`;

export const BODY_TOO_LARGE = (limit: number) =>
  `The body is larger than the limit of ${limit} bytes`;
