// The text of an alert result, by base_alert.collect()'s rules: the template is formatted with
// the check's arguments as Python's str.format would; on a ValueError (typically {0:d} given a
// float) every "d}" becomes "s}" and the arguments are str()'d for a second try; any other
// failure (or a second one) makes the result UNKNOWN with "There is a problem with the alert
// definition: <exception>". NUL characters never reach the server.
import { pyFormat, PyFormatError } from './pyFormat.js';
import { pyStr } from './pyValue.js';
import { errorMessage } from '../../util/errorMessage.js';

export interface AlertText {
  text: string;
  /** True when the template could not be formatted: the result's state becomes UNKNOWN. */
  definitionProblem: boolean;
}

export function formatAlertText(template: string, args: readonly unknown[]): AlertText {
  let text: string;
  try {
    try {
      text = pyFormat(template, args);
    } catch (err) {
      if (!(err instanceof PyFormatError) || err.pyType !== 'ValueError') throw err;
      text = pyFormat(template.replaceAll('d}', 's}'), args.map(pyStr));
    }
  } catch (err) {
    const message = errorMessage(err);
    return { text: stripNul(`There is a problem with the alert definition: ${message}`), definitionProblem: true };
  }
  return { text: stripNul(text), definitionProblem: false };
}

function stripNul(text: string): string {
  return text.replaceAll('\u0000', '');
}
