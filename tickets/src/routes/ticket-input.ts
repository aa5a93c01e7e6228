import { displayText } from '@ticketing/common/http';
import { z } from 'zod';

export const MAX_PRICE = 1_000_000;

/** Whole cents only: 19.99 yes, 19.999 no (checked on the decimal text, not on the float). */
const hasAtMostTwoDecimals = (value: number) => /^\d+(\.\d{1,2})?$/.test(String(value));

/**
 * Title and price of a ticket. The price may come as a JSON number or as a decimal string ("20", "19.99"),
 * as forms of the classic frontend send it; anything else is refused.
 */
export const ticketInputSchema = z.object({
  /** Shown to every buyer: normalised, and refused when it could hide or disguise what it says. */
  title: displayText('Title', { max: 200 }),
  price: z.preprocess(
    (value) => (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value),
    z
      .number({ error: (issue) => (issue.input === undefined ? 'Price is required' : 'Price must be a number') })
      .positive('Price must be greater than 0')
      .max(MAX_PRICE, `Price must be at most ${MAX_PRICE}`)
      .refine(hasAtMostTwoDecimals, 'Price must have at most 2 decimals'),
  ),
});
