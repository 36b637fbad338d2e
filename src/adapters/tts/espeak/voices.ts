/**
 * BCP-47 tag -> espeak-ng voice, for the languages espeak-ng ships (its `--voices` list).
 * A tag with a region not listed here falls back to its base language (de-AT speaks as de).
 */
export const VOICES: Readonly<Record<string, string>> = {
  af: 'af', am: 'am', ar: 'ar', az: 'az', bg: 'bg', bn: 'bn', bs: 'bs', ca: 'ca', cs: 'cs', cy: 'cy',
  da: 'da', de: 'de', el: 'el', en: 'en', 'en-GB': 'en-gb', 'en-US': 'en-us', 'en-029': 'en-029',
  eo: 'eo', es: 'es', 'es-419': 'es-419', et: 'et', eu: 'eu', fa: 'fa', fi: 'fi', fr: 'fr', 'fr-BE': 'fr-be',
  'fr-CH': 'fr-ch', ga: 'ga', gd: 'gd', gu: 'gu', he: 'he', hi: 'hi', hr: 'hr', hu: 'hu', hy: 'hy', id: 'id',
  is: 'is', it: 'it', ja: 'ja', ka: 'ka', kk: 'kk', kn: 'kn', ko: 'ko', la: 'la', lt: 'lt', lv: 'lv',
  mk: 'mk', ml: 'ml', mr: 'mr', ms: 'ms', mt: 'mt', my: 'my', nb: 'nb', ne: 'ne', nl: 'nl', pa: 'pa',
  pl: 'pl', pt: 'pt', 'pt-BR': 'pt-br', 'pt-PT': 'pt', ro: 'ro', ru: 'ru', si: 'si', sk: 'sk', sl: 'sl',
  sq: 'sq', sr: 'sr', sv: 'sv', sw: 'sw', ta: 'ta', te: 'te', th: 'th', tr: 'tr', uk: 'uk', ur: 'ur',
  vi: 'vi', zh: 'cmn', 'zh-CN': 'cmn', 'zh-TW': 'cmn', 'zh-HK': 'yue', yue: 'yue',
};
