/**
 * The one shim over the vendored libraries: every component imports Preact,
 * its hooks and `html` (htm bound to Preact's `h`) from here, so the page
 * holds a single copy of each.
 * @module
 */
import { Fragment, h, render } from "preact";
import {
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useReducer,
  useRef,
  useState,
} from "preact/hooks";
import htm from "htm";

/** Tagged template producing Preact elements: html`<div class=${c}>…</div>`. */
export const html = htm.bind(h);

export {
  Fragment,
  h,
  render,
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useReducer,
  useRef,
  useState,
};
