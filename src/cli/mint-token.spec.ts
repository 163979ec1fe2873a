import { decodeProtectedHeader, jwtVerify } from 'jose';
import { mintToken } from './mint-token.js';

const SECRET = 'a-secret-of-at-least-thirty-two-characters';

describe('mintToken', () => {
  it('signs the grants with HS256, for ttl seconds, with the audience and issuer given', async () => {
    const now = new Date();
    const token = await mintToken({
      secret: SECRET,
      publish: ['a.*'],
      subscribe: ['private.*', 'vault'],
      ttlSeconds: 600,
      audience: 'ripple',
      issuer: 'https://id.example',
      subject: 'alice',
      now,
    });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const { payload } = await jwtVerify(token, new TextEncoder().encode(SECRET), {
      audience: 'ripple',
      issuer: 'https://id.example',
    });
    const iat = Math.floor(now.getTime() / 1000);
    expect(payload).toEqual({
      ripple: { publish: ['a.*'], subscribe: ['private.*', 'vault'] },
      iat,
      exp: iat + 600,
      aud: 'ripple',
      iss: 'https://id.example',
      sub: 'alice',
    });
  });

  it('leaves out what is not given', async () => {
    const token = await mintToken({ secret: SECRET, publish: [], subscribe: ['x'], ttlSeconds: 1 });
    const { payload } = await jwtVerify(token, new TextEncoder().encode(SECRET));
    expect(Object.keys(payload).sort()).toEqual(['exp', 'iat', 'ripple']);
  });
});
