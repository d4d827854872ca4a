// Test helpers: a provider's spec field as the controller hands it over, i.e. validated by the
// provider's schema at the edge (parse.ts) first, as a ClusterSecretProvider `name` would be.
import { API_VERSION, parseClusterSecretProvider } from '../../api/v1alpha1/index.js';
import type { ClusterSecretProviderSpec } from '../../api/v1alpha1/types.generated.js';
import type { ProviderType } from '../../api/v1alpha1/providers.js';

export function validatedSpec<Type extends ProviderType>(
  type: Type,
  field: unknown,
  name = 'test',
): NonNullable<ClusterSecretProviderSpec[Type]> {
  const parsed = parseClusterSecretProvider({
    apiVersion: API_VERSION,
    kind: 'ClusterSecretProvider',
    metadata: { name },
    spec: field === undefined ? {} : { [type]: field },
  });
  return parsed.spec[type]!;
}

/** How a call was refused: the reason status would show and the message. */
export function refusal(call: () => unknown): { reason: string; message: string } {
  try {
    call();
  } catch (error) {
    const reason = (error as { reason?: unknown }).reason;
    return { reason: typeof reason === 'string' ? reason : 'none', message: (error as Error).message };
  }
  throw new Error('not refused');
}
