#include <iostream>
int main() { std::cout << "permrsa " PERMRSA_VERSION "\n"; }
