-- Argo CD health check for SecretSource, SecretProvider and ClusterSecretProvider
-- (secretsource.dev). Install it under resource.customizations.health.secretsource.dev_<Kind>
-- in argocd-cm: docs/gitops.md. Tested by docs/argocd/health.test.ts.
--
-- The operator reports one Ready condition. Healthy: Ready=True for the current generation.
-- Degraded: Ready=False (the reason says why; the last good Secret is kept). Progressing: no
-- status yet, Ready=Unknown, or a status older than the spec.
local hs = {}

local function ready_condition(status)
  if status == nil or status.conditions == nil then
    return nil
  end
  for _, condition in ipairs(status.conditions) do
    if condition.type == "Ready" then
      return condition
    end
  end
  return nil
end

local ready = ready_condition(obj.status)
if ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to report Ready"
  return hs
end

-- A condition written for an older generation says nothing about the current spec.
local generation = obj.metadata.generation
local observed = ready.observedGeneration
if observed == nil and obj.status ~= nil then
  observed = obj.status.observedGeneration
end
if generation ~= nil and observed ~= nil and observed < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to sync generation " .. tostring(generation)
  return hs
end

local message = ready.message or ""
if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = message
elseif ready.status == "False" then
  hs.status = "Degraded"
  hs.message = (ready.reason or "NotReady") .. ": " .. message
else
  hs.status = "Progressing"
  hs.message = message
end
return hs
