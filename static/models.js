/**
 * The model list as menus show it: each model once, its aliases (the seed's
 * short names, `alias_of` in `GET /v1/models`) gathered as a note.
 * @module
 */

/** @typedef {import("./api.js").Model & { aliases: string[] }} MenuModel */

/**
 * Each model of `list` once, in the server's order, with its aliases.
 * @param {import("./api.js").Model[]} list the answer of `GET /v1/models`
 * @param {"image" | "video"} [kind] only models of this kind
 * @returns {MenuModel[]}
 */
export function menuModels(list, kind) {
  /** @type {Map<string, MenuModel>} */
  const byId = new Map();
  for (const model of list) {
    if (model.alias_of || (kind && model.kind !== kind) || byId.has(model.id)) continue;
    byId.set(model.id, { ...model, aliases: [] });
  }
  for (const model of list) {
    if (model.alias_of) byId.get(model.alias_of)?.aliases.push(model.id);
  }
  return [...byId.values()];
}

/** What a menu shows for a model: its name and id. @param {{ id: string, name?: string }} model */
export function modelLabel(model) {
  return model.name && model.name !== model.id ? `${model.name} (${model.id})` : model.id;
}
