export const MALFORMED_REQUEST = () => 'The request is not valid HTTP/1.1';

export const HEADERS_TOO_LARGE = () => 'The request line and headers are larger than the limit';

export const HEADERS_TOO_SLOW = () => 'The request headers did not arrive in time';

export const EXPECTATION_FAILED = () => 'Only "Expect: 100-continue" is supported';

export const NO_HOST_HEADER = () => 'An HTTP/1.1 request needs a Host header';
