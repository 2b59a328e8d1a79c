import { escapeHtml } from './http';
import { SimulatorUser } from './types';

const COLORS = [
  '#0052cc',
  '#00875a',
  '#de350b',
  '#5243aa',
  '#ff991f',
  '#00a3bf',
];

/** A small SVG avatar: the user's initials on a colour picked from the username */
export function renderAvatar(user: SimulatorUser): string {
  const initials =
    user.displayName
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, 2)
      .map(word => word[0].toUpperCase())
      .join('') || user.username.slice(0, 1).toUpperCase();
  let hash = 0;
  for (const char of user.username) {
    hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  }
  const color = COLORS[hash % COLORS.length];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128"><circle cx="64" cy="64" r="64" fill="${color}"/><text x="64" y="64" dy=".35em" text-anchor="middle" font-family="Arial,sans-serif" font-size="52" fill="#fff">${escapeHtml(
    initials,
  )}</text></svg>`;
}
