import { badRequest } from '../errors.js';
import type { ProductUsageCorrectionInput } from '../operations/generated.js';
import { validate } from '../spec/validators.js';
import { refuseUnknown, type Json } from './common.js';
import { productUsageFromV5 } from './product-usage-v5.js';

/**
 * The body of `POST {v5}/productUsage/{id}/correction` (docs/rest.md, "Corrections"; TMF635 has no
 * correction resource): `reason` and the attributes corrected, in the v5 ProductUsage's own shape.
 * v5 has no usageDate or ratedProductUsage, so a v5 correction does not take them (GraphQL does).
 */
const correctable = ['description', 'usageCharacteristic', 'usageProductPrice'] as const;

export function correctionFromV5(body: Json): { reason: string; input: ProductUsageCorrectionInput } {
  const { '@type': type, reason, ...values } = body;
  if (type !== undefined && type !== 'ProductUsageCorrection')
    throw badRequest(`"@type" must be "ProductUsageCorrection"; got ${JSON.stringify(type).slice(0, 80)}.`);
  if (typeof reason !== 'string') throw badRequest('"reason" is required: a string saying why the usage is corrected.');
  refuseUnknown(values, correctable);
  if (!Object.keys(values).length) throw badRequest(`A correction changes at least one of ${correctable.join(', ')}.`);
  // The corrected attributes are checked as a v5 ProductUsage patch (null removes, as in a merge patch).
  const asUsage = { '@type': 'ProductUsage', ...values };
  const problems = validate('v5.ProductUsage_MVO', asUsage);
  if (problems.length) {
    throw badRequest(
      `The body does not match ProductUsage_MVO: ${problems
        .slice(0, 5)
        .map((p) => p.message)
        .join('; ')}.`,
    );
  }
  const mapped = productUsageFromV5(asUsage);
  const input: ProductUsageCorrectionInput = {};
  for (const key of correctable) if (key in values) Object.assign(input, { [key]: values[key] === null ? null : mapped[key] });
  return { reason, input };
}
