// plugboard web UI enhancements. Every page works without this script; it
// adds copy buttons, the live link-name preview, tab switching and
// filtering of long lists.
'use strict';

document.documentElement.classList.add('js');

// linkNameFrom mirrors the server's rule (connections.LinkNameFrom): lower
// case, every run of characters other than a-z and 0-9 becomes one
// underscore, trimmed, a leading digit gets "c_", at most 50 characters.
// The server derives the stored link name again; this is only a preview.
function linkNameFrom(name) {
  let out = '';
  let pending = false;
  for (const ch of name.toLowerCase()) {
    if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
      if (pending && out.length > 0) out += '_';
      pending = false;
      out += ch;
    } else {
      pending = true;
    }
  }
  if (out === '') return 'connection';
  if (out[0] >= '0' && out[0] <= '9') out = 'c_' + out;
  if (out.length > 50) out = out.slice(0, 50);
  return out.replace(/_+$/, '');
}

function setupLinkName() {
  const name = document.getElementById('name');
  const link = document.getElementById('link_name');
  if (!name || !link) return;
  // The link name follows the display name until the user edits it.
  let edited = link.value !== '' && link.value !== linkNameFrom(name.value);
  link.addEventListener('input', () => { edited = link.value !== ''; });
  name.addEventListener('input', () => {
    if (!edited) link.value = name.value.trim() === '' ? '' : linkNameFrom(name.value);
  });
}

function setupCopyButtons() {
  for (const block of document.querySelectorAll('[data-copy]')) {
    const source = document.getElementById(block.dataset.copy);
    if (!source || !navigator.clipboard) continue;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'copy';
    button.textContent = 'Copy';
    button.setAttribute('aria-label', 'Copy ' + (block.dataset.copyLabel || 'code'));
    button.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(source.textContent);
        button.textContent = 'Copied';
      } catch {
        button.textContent = 'Copy failed';
      }
      setTimeout(() => { button.textContent = 'Copy'; }, 2000);
    });
    block.appendChild(button);
  }
}

function setupTabs() {
  for (const group of document.querySelectorAll('[data-tabs]')) {
    const panels = Array.from(group.querySelectorAll('.tab-panel'));
    if (panels.length === 0) continue;
    const list = document.createElement('div');
    list.className = 'tabs';
    list.setAttribute('role', 'tablist');
    const buttons = panels.map((panel, i) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.id = panel.id + '-tab';
      button.setAttribute('role', 'tab');
      button.setAttribute('aria-controls', panel.id);
      button.textContent = panel.dataset.label;
      panel.setAttribute('role', 'tabpanel');
      panel.setAttribute('aria-labelledby', button.id);
      const heading = panel.querySelector('.tab-heading');
      if (heading) heading.hidden = true;
      button.addEventListener('click', () => select(i));
      button.addEventListener('keydown', (e) => {
        if (e.key === 'ArrowRight') { select((i + 1) % panels.length); buttons[(i + 1) % panels.length].focus(); }
        if (e.key === 'ArrowLeft') { select((i + panels.length - 1) % panels.length); buttons[(i + panels.length - 1) % panels.length].focus(); }
      });
      list.appendChild(button);
      return button;
    });
    function select(index) {
      panels.forEach((panel, i) => {
        panel.hidden = i !== index;
        buttons[i].setAttribute('aria-selected', String(i === index));
        buttons[i].tabIndex = i === index ? 0 : -1;
      });
    }
    group.insertBefore(list, panels[0]);
    select(0);
  }
}

// Filtering hides the items of a list whose text does not contain every
// typed word; the server-side search still works without it.
function setupFilters() {
  for (const input of document.querySelectorAll('[data-filter]')) {
    const items = document.querySelectorAll(input.dataset.filter);
    input.addEventListener('input', () => {
      const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      for (const item of items) {
        const text = item.textContent.toLowerCase();
        item.hidden = !words.every((w) => text.includes(w));
      }
      for (const group of document.querySelectorAll('[data-filter-group]')) {
        group.hidden = group.querySelectorAll(input.dataset.filter + ':not([hidden])').length === 0;
      }
    });
  }
}

document.addEventListener('DOMContentLoaded', () => {
  setupLinkName();
  setupCopyButtons();
  setupTabs();
  setupFilters();
});
