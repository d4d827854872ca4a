import { kubeErrorMessage } from './kube-error.js';

test("the API server's Status message, from a JSON body or a parsed one", () => {
  expect(kubeErrorMessage({ code: 422, body: JSON.stringify({ message: 'quota exceeded' }) })).toBe(
    'quota exceeded',
  );
  expect(kubeErrorMessage({ code: 409, body: { message: 'the object has been modified' } })).toBe(
    'the object has been modified',
  );
});

test('else the HTTP code, else the name; never what the request carried', () => {
  expect(kubeErrorMessage({ code: 500, body: 'not json', request: { data: 'c2VjcmV0' } })).toBe('HTTP 500');
  expect(kubeErrorMessage(new TypeError('value c2VjcmV0 is bad'))).toBe('TypeError');
  expect(kubeErrorMessage(undefined)).toBe('unknown error');
});
