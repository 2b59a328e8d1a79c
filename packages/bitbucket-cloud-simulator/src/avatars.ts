import { SimulatorUser } from './types';

const COLORS = [
  '#0052cc',
  '#00875a',
  '#de350b',
  '#5243aa',
  '#ff991f',
  '#00a3bf',
];

/**
 * A small SVG avatar: a mirrored 5x5 pattern on a colour, both picked from
 * the username. Not initials in a circle: that is what Backstage draws when
 * an avatar fails to load, and the demo should show that avatars work.
 */
export function renderAvatar(user: SimulatorUser): string {
  let hash = 2166136261;
  for (const char of user.username) {
    hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0;
  }
  const color = COLORS[hash % COLORS.length];
  const cells: string[] = [];
  for (let row = 0; row < 5; row++) {
    for (let col = 0; col < 3; col++) {
      if ((hash >>> (row * 3 + col)) & 1) {
        for (const x of new Set([col, 4 - col])) {
          cells.push(
            `<rect x="${14 + x * 20}" y="${
              14 + row * 20
            }" width="20" height="20" fill="${color}"/>`,
          );
        }
      }
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128"><rect width="128" height="128" fill="#f4f5f7"/>${cells.join(
    '',
  )}</svg>`;
}
