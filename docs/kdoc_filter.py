#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Doxygen INPUT_FILTER: our headers' kernel-doc comments in the syntax
doxygen reads, line for line (so doxygen's line numbers stay right).

  /** name() - text      ->  /** text            (the brief description)
   * @param: text        ->   * @param param text
   * Return: text        ->   * @return text
   @name in running text ->  @p name
  /* comment above a declaration  ->  /** comment
  decl; /* trailing comment       ->  decl; /**< comment
"""
import os
import re
import sys

HEAD = re.compile(r'^(\s*\*\s*)(?:(?:struct|union|typedef|enum)\s+)?'
                  r'\w+(?:\(\))?\s+-\s+(.*)$')
PARAM = re.compile(r'^(\s*\*\s*)@(\w+):\s?(.*)$')
RETURN = re.compile(r'^(\s*\*\s*)Return:\s?(.*)$')
INLINE = re.compile(r'(?<![\w@\\])@(\w+)')


def running(text):
    return INLINE.sub(r'@p \1', text)


def doc_line(line, first):
    """A line inside a comment (not its opening line)."""
    m = HEAD.match(line) if first else None
    if m:
        return m.group(1) + running(m.group(2))
    m = PARAM.match(line)
    if m:
        return '%s@param %s %s' % (m.group(1), m.group(2), running(m.group(3)))
    m = RETURN.match(line)
    if m:
        return '%s@return %s' % (m.group(1), running(m.group(2)))
    return running(line)


def main():
    lines = open(sys.argv[1], encoding='utf-8').read().split('\n')
    out = []
    in_doc = first = False
    seen_file_comment = False
    for line in lines:
        if in_doc:
            out.append(doc_line(line, first))
            first = False
            in_doc = '*/' not in line
            continue
        i = line.find('/*')
        if i < 0 or 'SPDX-License-Identifier' in line:
            out.append(line)
            continue
        code, rest = line[:i], line[i + 2:]
        if code.strip() == '':
            # A comment above what follows: documentation of it.
            if rest.startswith('*'):
                opener, rest = '/**', rest[1:]
            elif seen_file_comment:
                opener = '/**'
            else:
                opener = '/** @file ' + os.path.basename(sys.argv[1])
            seen_file_comment = True
            first = rest.strip() == ''
        else:
            # A comment after a member or macro: documentation of it.
            opener = '/**<' if not rest.startswith('*') else '/*'
            first = False
        out.append(code + opener + running(rest))
        in_doc = '*/' not in rest
    sys.stdout.write('\n'.join(out))


if __name__ == '__main__':
    main()
