/** What a verified token allows, read from its `ripple` claim. */
export interface Grant {
  /** Patterns of the topics it may publish to. */
  publish: string[];
  /** Patterns of the (private) topics it may subscribe to. */
  subscribe: string[];
  /** When it stops being valid (its `exp`, plus the clock skew allowed), in epoch ms; none: never. */
  expiresAt?: number;
}

/** Where a request carried its token. */
export type TokenSource = 'header' | 'cookie' | 'query';

export interface RequestToken {
  token: string;
  source: TokenSource;
}
