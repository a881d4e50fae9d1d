#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check that every public declaration in include/pgtable documents its
contract, in kernel-doc form.

    check-api-docs.py [--cc CLANG] [-I DIR]... [--pending HEADER]... HEADER...

The compiler (clang's JSON AST of each header) says what is declared: no C
parsing here. Then, from the header's text:
  - a function (prototype or static inline) has a /** comment right above
    it that opens with "name() - ", holds one "@param:" line for each of
    its parameters and none for a parameter it does not have, and, unless
    it returns void, a "Return:" section;
  - a struct or union has a /** comment opening with "struct name - " (or
    "union name - "), and every named member is described, by an
    "@member:" line there or by a comment on or right above its line;
  - a typedef and a named enum have a comment right above them.
Problems in a --pending header are printed but do not fail the check.
"""
import argparse
import json
import os
import re
import subprocess
import sys


def ast_of(cc, incs, header):
    cmd = [cc, '-x', 'c', '-std=c11', '-fsyntax-only', '-Xclang',
           '-ast-dump=json'] + ['-I' + i for i in incs] + [header]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


class Tracker:
    """clang prints a location's file and line only when they change from
    the location printed before: follow them in print order."""

    def __init__(self):
        self.file = None
        self.line = None

    def see(self, loc):
        if not loc:
            return
        if 'spellingLoc' in loc:
            self.see(loc['spellingLoc'])
            self.see(loc.get('expansionLoc'))
            return
        if 'file' in loc:
            self.file = loc['file']
        if 'line' in loc:
            self.line = loc['line']


def walk(node, tr, found, depth):
    """Visit @node in print order; record top-level declarations (and the
    members of records) with the file and line where they begin."""
    tr.see(node.get('loc'))
    loc_file, loc_line = tr.file, tr.line
    rng = node.get('range') or {}
    tr.see(rng.get('begin'))
    begin_file, begin_line = tr.file, tr.line
    tr.see(rng.get('end'))
    entry = None
    if depth == 1 and not node.get('isImplicit'):
        entry = {'kind': node['kind'], 'name': node.get('name'),
                 'file': begin_file, 'line': begin_line,
                 'loc_line': loc_line, 'node': node, 'fields': [],
                 'params': []}
        found.append(entry)
    for child in node.get('inner', []):
        sub = walk(child, tr, found, depth + 1)
        if entry is not None and child['kind'] == 'ParmVarDecl':
            entry['params'].append(child.get('name'))
        if entry is not None and child['kind'] == 'FieldDecl':
            entry['fields'].append((child.get('name'), sub))
    return (loc_file, loc_line)


def comment_above(lines, line):
    """The comment that ends on the line before @line (1-based), as a list
    of lines, or None."""
    i = line - 2
    if i < 0 or not lines[i].rstrip().endswith('*/'):
        return None
    j = i
    while j >= 0 and '/*' not in lines[j]:
        j -= 1
    if j < 0:
        return None
    return lines[j:i + 1]


def check(header, decls, lines):
    problems = []
    real = os.path.realpath(header)

    def here(d):
        return d['file'] and os.path.realpath(d['file']) == real

    for d in decls:
        if not here(d):
            continue
        kind, name = d['kind'], d['name']
        where = '%s:%d' % (header, d['line'])
        if kind == 'FunctionDecl':
            c = comment_above(lines, d['line'])
            if not c or not c[0].lstrip().startswith('/**'):
                problems.append('%s: %s(): no /** comment above' % (where, name))
                continue
            text = '\n'.join(c)
            if not re.search(r'^\s*(/\*\*)?\s*\*?\s*' + re.escape(name) + r'\(\) - ',
                             text, re.M):
                problems.append('%s: %s(): comment does not open with "%s() - "'
                                % (where, name, name))
            documented = re.findall(r'^\s*\*\s*@(\w+):', text, re.M)
            for p in d['params']:
                if p is None:
                    continue
                n = documented.count(p)
                if n != 1:
                    problems.append('%s: %s(): parameter %s described %d times'
                                    % (where, name, p, n))
            for p in documented:
                if p not in d['params']:
                    problems.append('%s: %s(): @%s: is not a parameter'
                                    % (where, name, p))
            ret = d['node']['type']['qualType'].split('(')[0].strip()
            if ret != 'void' and not re.search(r'^\s*\*\s*Return:', text, re.M):
                problems.append('%s: %s(): returns %s but has no "Return:" section'
                                % (where, name, ret))
        elif kind == 'RecordDecl' and name and d['node'].get('completeDefinition'):
            tag = d['node'].get('tagUsed', 'struct')
            c = comment_above(lines, d['line'])
            text = '\n'.join(c) if c else ''
            if not c or not c[0].lstrip().startswith('/**') or not re.search(
                    r'^\s*(/\*\*)?\s*\*?\s*%s %s - ' % (tag, re.escape(name)), text, re.M):
                problems.append('%s: %s %s: no /** comment opening with "%s %s - "'
                                % (where, tag, name, tag, name))
            for fname, (_, fline) in d['fields']:
                if not fname:
                    continue
                if re.search(r'^\s*\*\s*@%s:' % re.escape(fname), text, re.M):
                    continue
                src = lines[fline - 1]
                if '/*' in src or comment_above(lines, fline):
                    continue
                problems.append('%s:%d: %s %s: member %s not described'
                                % (header, fline, tag, name, fname))
        elif kind in ('TypedefDecl', 'EnumDecl') and name:
            if not comment_above(lines, d['line']):
                problems.append('%s: %s %s: no comment above'
                                % (where, 'typedef' if kind == 'TypedefDecl'
                                   else 'enum', name))
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--cc', default='clang')
    ap.add_argument('-I', dest='incs', action='append', default=[])
    ap.add_argument('--pending', action='append', default=[])
    ap.add_argument('headers', nargs='+')
    a = ap.parse_args()
    pending = {os.path.basename(p) for p in a.pending}
    failed = 0
    for h in a.headers:
        ast = ast_of(a.cc, a.incs, h)
        found = []
        tr = Tracker()
        for top in ast.get('inner', []):
            walk(top, tr, found, 1)
        lines = open(h, encoding='utf-8').read().split('\n')
        problems = check(h, found, lines)
        tag = 'pending' if os.path.basename(h) in pending else 'error'
        for p in problems:
            print('%s: %s' % (tag, p))
        if problems and tag == 'error':
            failed += len(problems)
    n_pending = len(pending & {os.path.basename(h) for h in a.headers})
    print('check-api-docs: %d headers, %d problems%s' %
          (len(a.headers), failed,
           ', %d headers pending' % n_pending if n_pending else ''))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
