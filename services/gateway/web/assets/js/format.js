// Formatting for display. The shop's text is English, so numbers and dates are formatted
// for en-US whatever the browser's language (a mix of languages on one page reads badly).
const LOCALE = 'en-US';

const currencyFormats = new Map();

function currencyFormat(currency) {
  let format = currencyFormats.get(currency);
  if (!format) {
    format = new Intl.NumberFormat(LOCALE, {style: 'currency', currency});
    currencyFormats.set(currency, format);
  }
  return format;
}

// Money from the API: {amount: <integer minor units>, currency: "USD"}. The amount is turned
// into an exact decimal string ("1999" -> "19.99" for USD, "500" -> "500" for JPY) rather
// than divided as a float, so that no amount is ever off by a rounding error.
export function formatMoney(money) {
  if (!money || typeof money.currency !== 'string' || money.currency.length !== 3) return '';
  let format;
  try {
    format = currencyFormat(money.currency);
  } catch {
    return `${money.amount} ${money.currency}`;  // a code this browser does not know
  }
  const digits = format.resolvedOptions().maximumFractionDigits;
  const minor = BigInt(money.amount ?? 0);
  const negative = minor < 0n;
  let text = (negative ? -minor : minor).toString().padStart(digits + 1, '0');
  if (digits > 0) text = `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  return format.format(`${negative ? '-' : ''}${text}`);
}

// The sum of some money values of one currency, still in minor units.
export function addMoney(a, b) {
  return {amount: Number(BigInt(a.amount) + BigInt(b.amount)), currency: a.currency};
}

const dateFormat = new Intl.DateTimeFormat(LOCALE, {dateStyle: 'medium', timeStyle: 'short'});

export function formatDate(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : dateFormat.format(date);
}

export function pluralize(count, one, many) {
  return `${count} ${count === 1 ? one : many}`;
}

const ORDER_STATUS = {
  pending: 'Processing',
  paid: 'Paid',
  failed: 'Not completed',
  fulfilling: 'Being packed',
  shipped: 'Shipped',
  delivered: 'Delivered',
  cancelling: 'Cancelling',
  cancelled: 'Cancelled',
  refunded: 'Refunded',
  partially_refunded: 'Partly refunded',
};

export function orderStatusLabel(status) {
  return ORDER_STATUS[status] ?? status;
}

// "Visa ending in 4242".
export function cardLabel(brand, last4) {
  if (!last4) return '';
  const name = brand ? brand.charAt(0).toUpperCase() + brand.slice(1) : 'Card';
  return `${name} ending in ${last4}`;
}

// Officially assigned ISO 3166-1 alpha-2 codes, as the user service accepts them.
const COUNTRY_CODES = (
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ ' +
  'BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM ' +
  'DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS ' +
  'GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN ' +
  'KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ ' +
  'MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM ' +
  'PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV ' +
  'SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI ' +
  'VN VU WF WS YE YT ZA ZM ZW').split(' ');

let countries;

// [{code, name}] sorted by name.
export function countryList() {
  if (!countries) {
    const names = new Intl.DisplayNames([LOCALE], {type: 'region'});
    countries = COUNTRY_CODES.map((code) => ({code, name: names.of(code) ?? code}))
        .sort((a, b) => a.name.localeCompare(b.name, LOCALE));
  }
  return countries;
}

export function countryName(code) {
  return countryList().find((c) => c.code === code)?.name ?? code;
}
