// Which namespaces may use a ClusterSecretProvider. No condition admits no
// namespace: a cluster-wide credential is never shared by accident.
export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | string;
  values?: readonly string[];
}

export interface LabelSelector {
  matchLabels?: Readonly<Record<string, string>>;
  matchExpressions?: readonly LabelSelectorRequirement[];
}

export interface NamespaceCondition {
  namespaces?: readonly string[];
  namespaceSelector?: LabelSelector;
}

export function matchesLabelSelector(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>>,
): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const requirement of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, requirement.key);
    const value = labels[requirement.key];
    const values = requirement.values ?? [];
    switch (requirement.operator) {
      case 'In':
        if (!has || !values.includes(value!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(value!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false; // an operator we do not know admits nothing
    }
  }
  return true;
}

/** A namespace is admitted when any one condition admits it (conditions are ORed). */
export function namespaceAdmitted(
  conditions: readonly NamespaceCondition[] | undefined,
  namespace: string,
  namespaceLabels: Readonly<Record<string, string>> | undefined,
): boolean {
  return (conditions ?? []).some((condition) => {
    const byName = condition.namespaces?.includes(namespace) ?? false;
    const bySelector =
      condition.namespaceSelector !== undefined &&
      namespaceLabels !== undefined &&
      matchesLabelSelector(condition.namespaceSelector, namespaceLabels);
    if (condition.namespaces !== undefined && condition.namespaceSelector !== undefined)
      return byName && bySelector;
    return byName || bySelector;
  });
}
